import type { Health } from '../../protocol/schemas.js'
import type { Account } from '../store/schema.js'

export interface HealthState {
  health: Health
  reason?: string
  /** Epoch ms when this state ends by itself (absent for states that need a person). */
  until?: number
}

/**
 * Health is derived from stored facts and the clock at read time, so a state
 * whose time has passed is never reported (the old plugin stored it stale).
 * With a model, a per-model block only counts for that model.
 */
export function healthOf(a: Account, now: number, model?: string): HealthState {
  if (a.enabled === false) return { health: 'disabled', reason: a.disableReason ?? 'disabled by the user' }
  if (a.authInvalid) {
    return { health: 'auth_invalid', reason: a.authInvalidReason ?? 'sign-in expired or revoked; sign in again' }
  }
  if (a.workspaceDeactivatedUntil && a.workspaceDeactivatedUntil > now) {
    return {
      health: 'workspace_deactivated',
      reason: a.workspaceDeactivatedError ?? 'workspace deactivated',
      until: a.workspaceDeactivatedUntil,
    }
  }
  if (a.rateLimitedUntil && a.rateLimitedUntil > now) {
    return { health: 'rate_limited', reason: a.rateLimitReason ?? 'usage limit reached', until: a.rateLimitedUntil }
  }
  if (
    a.modelUnsupportedUntil &&
    a.modelUnsupportedUntil > now &&
    (model === undefined || !a.modelUnsupportedModel || a.modelUnsupportedModel === model)
  ) {
    return {
      health: 'model_unsupported',
      reason: `model ${a.modelUnsupportedModel ?? '(unknown)'} not available on this account`,
      until: a.modelUnsupportedUntil,
    }
  }
  if (a.cooldownUntil && a.cooldownUntil > now) {
    return { health: 'cooldown', reason: a.cooldownReason ?? 'temporary failure', until: a.cooldownUntil }
  }
  return { health: 'ok' }
}
