import type { RateLimitedData } from '../../protocol/error-data.js'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import { STRATEGIES, type ForceState, type Strategy } from '../../protocol/schemas.js'
import type { StoreData } from '../store/schema.js'
import type { SelectRequest } from '../tokens/selection.js'
import { healthOf } from '../health/health.js'

/** A pin lasts a day unless asked otherwise (as in the old plugin). */
export const DEFAULT_FORCE_TTL_MS = 24 * 3_600_000

export const INACTIVE_FORCE: ForceState = Object.freeze({
  active: false,
  alias: null,
  until: null,
  previousStrategy: null,
})

export function asStrategy(v: unknown): Strategy | null {
  return typeof v === 'string' && (STRATEGIES as readonly string[]).includes(v) ? (v as Strategy) : null
}

/**
 * Force mode as it stands at `now`, from the stored fields. Checked at read
 * time, so a pin that expired, or whose account was removed or disabled, is
 * over the moment that happens — no timer and no stale "forced" state.
 */
export function forceState(data: Readonly<StoreData>, now: number): ForceState {
  const alias = data.forcedAlias
  const until = data.forcedUntil
  if (!alias || typeof until !== 'number' || until <= now) return INACTIVE_FORCE
  const acc = Object.prototype.hasOwnProperty.call(data.accounts, alias) ? data.accounts[alias] : undefined
  if (!acc || acc.enabled === false) return INACTIVE_FORCE
  return { active: true, alias, until, previousStrategy: asStrategy(data.previousRotationStrategy) }
}

/**
 * The pinned alias when it can serve; otherwise RATE_LIMITED naming it, its
 * health, reason and until. No silent fallback: the person pinned this account.
 */
export function forcedCandidate(data: Readonly<StoreData>, alias: string, req: SelectRequest, now: number): string {
  const acc = data.accounts[alias]
  const h = acc ? healthOf(acc, now, req.model) : { health: 'disabled' as const, reason: 'the account was removed' }
  const excluded = req.exclude?.includes(alias) ?? false
  if (h.health === 'ok' && !excluded) return alias
  const reason = h.health === 'ok' ? 'excluded by the caller (it just failed)' : (h.reason ?? h.health)
  const untilText = h.until ? ` until ${new Date(h.until).toISOString()}` : ''
  return throwRateLimited(
    `forced account ${alias} cannot serve (${h.health}${untilText}): ${reason}; clear the pin with \`opencode-multi-auth use --clear\``,
    { alias, health: h.health, reason, until: h.until ?? null },
  )
}

function throwRateLimited(message: string, data: RateLimitedData): never {
  throw new RpcError(ErrorCode.RATE_LIMITED, message, data)
}
