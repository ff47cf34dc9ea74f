import type { ParsedParamsOf, ReportResult } from '../../protocol/methods.js'
import type { AccountChange } from '../../protocol/events.js'
import type { Clock, Logger } from '../deps.js'
import type { EventBus } from '../events.js'
import { parseLimitHeaders, retryAfterMs, type ParsedLimits } from '../limits/headers.js'
import { blockingResetAt, recordLimits } from '../limits/record.js'
import { setCooldown, setModelUnsupported, setRateLimited, setWorkspaceDeactivated } from '../store/account-state.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import type { Refresher } from '../tokens/refresher.js'
import { handleUnauthorized } from '../tokens/unauthorized.js'
import { healthOf } from '../health/health.js'
import {
  modelFromText,
  readBody,
  saysModelUnsupported,
  saysTokenInvalid,
  saysWorkspaceDeactivated,
  type BodyFacts,
} from './report-body.js'

/** A usage limit never lifts sooner than this, whatever the headers say (the backend rounds). */
export const MIN_RATE_LIMIT_MS = 5 * 60_000
/** A reset further out than this is a unit mix-up, not a real limit: cap it. */
export const MAX_RATE_LIMIT_MS = 8 * 24 * 3_600_000
export const MODEL_UNSUPPORTED_MS = 30 * 60_000
export const WORKSPACE_DEACTIVATED_MS = 30 * 60_000
/** A 403 that is not about the token (edge block, account flag): rest the account briefly. */
export const FORBIDDEN_COOLDOWN_MS = 60_000

export type ReportParams = ParsedParamsOf<'token.report'>

export interface ReportDeps {
  store: AccountStore
  refresher: Refresher
  bus: EventBus
  clock: Clock
  logger: Logger
}

type Outcome = { change: AccountChange; apply: (a: Account) => void } | undefined

/**
 * token.report for every status: what the backend answered becomes the
 * account's health and limit windows, and the answer tells the client
 * whether another account is worth a retry.
 */
export class ReportIntake {
  constructor(private readonly deps: ReportDeps) {}

  async report(p: ReportParams): Promise<ReportResult> {
    const { store, bus, clock } = this.deps
    const now = clock.now()
    if (!store.data.accounts[p.alias]) return { retry: true }
    const limits = parseLimitHeaders(p.headers, now)
    const body = p.status >= 400 ? readBody(p.body, now) : undefined

    if (p.status === 401 || (p.status === 403 && body && saysTokenInvalid(body))) {
      if (limits) this.touchLimits(p.alias, limits, now)
      return handleUnauthorized(p.alias, this.deps)
    }

    const outcome = body ? this.classify(p, body, limits, now) : undefined
    if (outcome) {
      await store.update((d) => {
        const a = d.accounts[p.alias]
        if (!a) return
        if (limits) recordLimits(a, limits, now)
        outcome.apply(a)
      })
      if (limits) bus.emit('limits.updated', { alias: p.alias, source: 'headers' })
      bus.emit('account.updated', { alias: p.alias, change: outcome.change })
      this.deps.logger.info('backend answer changed an account', {
        alias: p.alias,
        status: p.status,
        change: outcome.change,
      })
    } else if (limits) {
      // Every successful response carries headers: keep this off the durable write path.
      this.touchLimits(p.alias, limits, now)
    }
    return this.answer(p, outcome !== undefined)
  }

  private answer(p: ReportParams, changed: boolean): ReportResult {
    const acc = this.deps.store.data.accounts[p.alias]
    const h = acc ? healthOf(acc, this.deps.clock.now(), p.model) : undefined
    // Another account helps when this one is now out, or the backend failed on its side.
    const retry = changed || p.status >= 500
    const result: ReportResult = { retry }
    if (h) result.health = h.health
    if (h?.until !== undefined && h.health !== 'ok') result.cooldownUntil = h.until
    return result
  }

  private touchLimits(alias: string, limits: ParsedLimits, now: number): void {
    this.deps.store.touch((d) => {
      const a = d.accounts[alias]
      if (a) recordLimits(a, limits, now)
    })
    this.deps.bus.emit('limits.updated', { alias, source: 'headers' })
  }

  private classify(p: ReportParams, body: BodyFacts, limits: ParsedLimits | undefined, now: number): Outcome {
    if (p.status === 429) return this.rateLimited(p, body, limits, now)
    if (p.status === 402 || saysWorkspaceDeactivated(body)) {
      return {
        change: 'workspace_deactivated',
        apply: (a) => {
          setWorkspaceDeactivated(
            a,
            now + WORKSPACE_DEACTIVATED_MS,
            `workspace deactivated (HTTP ${p.status}${body.code ? `, ${body.code}` : ''})`,
            now,
          )
        },
      }
    }
    if (p.status === 400 && saysModelUnsupported(body)) {
      const model = p.model ?? modelFromText(body)
      return {
        change: 'model_unsupported',
        apply: (a) => {
          setModelUnsupported(
            a,
            {
              model,
              until: now + MODEL_UNSUPPORTED_MS,
              error: (body.message ?? 'model not supported with this account').slice(0, 300),
            },
            now,
          )
        },
      }
    }
    if (p.status === 403) {
      return {
        change: 'cooldown',
        apply: (a) => {
          setCooldown(
            a,
            now + FORBIDDEN_COOLDOWN_MS,
            `backend refused the request (HTTP 403${body.code ? `, ${body.code}` : ''})`,
          )
        },
      }
    }
    // Other 4xx are about the request, 5xx about the backend: neither says anything about the account.
    return undefined
  }

  /**
   * rate_limited until the latest of: the body's resets_at, Retry-After, the
   * reset of the window that is used up, and now + 5 min.
   */
  private rateLimited(p: ReportParams, body: BodyFacts, limits: ParsedLimits | undefined, now: number): Outcome {
    const acc = this.deps.store.data.accounts[p.alias]
    // recordLimits replaces rateLimits wholesale, so a shallow copy keeps the stored account untouched.
    const merged: Account | undefined = acc && { ...acc }
    if (merged && limits) recordLimits(merged, limits, now)
    const candidates = [
      now + MIN_RATE_LIMIT_MS,
      body.resetsAt,
      retryAfterMs(p.headers, now),
      merged && blockingResetAt(merged, now),
    ]
    const latest = Math.max(...candidates.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)))
    const until = Math.min(latest, now + MAX_RATE_LIMIT_MS)
    const what =
      body.code === 'usage_limit_reached' ? 'usage limit reached' : `HTTP 429${body.code ? ` (${body.code})` : ''}`
    const reason = `${what}${body.planType ? ` on the ${body.planType} plan` : ''}`
    return {
      change: 'rate_limited',
      apply: (a) => {
        // Several requests in flight may report the same limit: never shorten one already known.
        setRateLimited(a, until, reason)
      },
    }
  }
}
