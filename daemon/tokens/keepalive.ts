import { identityFromTokens } from '../auth/jwt.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { Clock, Logger, Timer } from '../deps.js'
import type { EventBus } from '../events.js'
import { readSettings } from '../settings/read.js'
import { recordRefreshFailure } from '../store/account-state.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import type { Settings } from '../../protocol/schemas.js'
import type { Refresher } from './refresher.js'

export const BACKOFF_MIN_MS = 60_000
export const BACKOFF_MAX_MS = 3_600_000
/** The least time between two keep-alive refreshes of one account. */
export const MIN_GAP_MS = 60_000
/** setTimeout overflows past 2^31-1 ms; far timers are re-armed when they fire. */
const MAX_TIMER_MS = 6 * 3_600_000

export interface KeepAliveOptions {
  /** Spread of the ahead-of-expiry refresh, as a fraction of refreshAheadMs (0..1). */
  jitter?: number
  random?: () => number
}

export interface KeepAliveDeps extends KeepAliveOptions {
  store: AccountStore
  refresher: Refresher
  bus: EventBus
  clock: Clock
  logger: Logger
}

/**
 * Keeps idle accounts alive (docs/architecture.md#invariants, 5 and 15): each enabled, valid account is due
 * ahead of expiry (with jitter) and at least every idleRefreshMs. One timer for
 * the nearest due time; no polling. Failures back off 1 min doubling to 1 h.
 */
export class KeepAlive {
  private timer: Timer | undefined
  private timerAt: number | undefined
  private stopped = false
  private running = false
  private current: Promise<void> | undefined
  private readonly jitterByAlias = new Map<string, number>()
  private readonly heldOff = new Map<string, { failures: number; until: number }>()
  /** The access token's own `iat` per alias, decoded once per token (reschedule walks every account). */
  /** When keep-alive itself last asked the issuer for each alias (this process only). */
  private readonly triedAt = new Map<string, number>()
  private readonly issuedAtByAlias = new Map<string, { token: string; iat: number | undefined }>()
  /** Every store change reschedules over the whole pool: parse each `lastRefresh` once. */
  private readonly lastRefreshByAlias = new Map<string, { text: string; ms: number }>()
  private offBus: (() => void) | undefined

  private readonly store: AccountStore
  private readonly refresher: Refresher
  private readonly bus: EventBus
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly opts: KeepAliveOptions

  constructor(deps: KeepAliveDeps) {
    this.store = deps.store
    this.refresher = deps.refresher
    this.bus = deps.bus
    this.clock = deps.clock
    this.logger = deps.logger
    this.opts = { jitter: deps.jitter, random: deps.random }
  }

  start(): void {
    this.offBus = this.bus.subscribe(['account.updated', 'token.refreshed', 'store.reloaded'], () => this.reschedule())
    this.reschedule()
  }

  stop(): void {
    this.stopped = true
    this.offBus?.()
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** When the timer fires next (epoch ms), for status and tests. */
  get nextWakeAt(): number | undefined {
    return this.timerAt
  }

  /** `settings`: pass them in when asking for many accounts (reading them validates). */
  dueAt(alias: string, a: Account, settings?: Settings): number | undefined {
    if (a.enabled === false || a.authInvalid) return undefined
    // A refresh cut short by a crash: find out now whether the token was spent.
    if (a.refreshPendingSince !== undefined && !this.refresher.isRefreshing(alias)) return this.clock.now()
    if (a.nextRefreshAt !== undefined) return a.nextRefreshAt // back-off after a failure
    const held = this.heldOff.get(alias)
    if (held && held.until > this.clock.now()) return held.until
    const s = settings ?? readSettings(this.store.data)
    const last = a.lastRefresh ? this.parsedLastRefresh(alias, a.lastRefresh) : NaN
    if (!Number.isFinite(last)) return this.clock.now() // never refreshed by us: learn its state now
    // The token's age is its own (`iat`), not the time it reached the store: a token
    // added from stdin, a legacy store or another tool may be days old already.
    const issued = this.issuedAt(alias, a.accessToken) ?? last
    let ahead = s.refreshAheadMs * (1 + this.jitterFor(alias))
    // A token that lives less than the look-ahead would be due again the moment it
    // arrives: refresh such tokens at half their life instead.
    const lifetime = a.expiresAt - issued
    if (lifetime <= ahead) ahead = lifetime / 2
    // The older of the token and our last refresh counts, for the idle rule and the gap alike.
    const since = Math.min(issued, last)
    const due = Math.min(a.expiresAt - ahead, since + s.idleRefreshMs)
    // A pair that came back already expired must not be asked for again at once, even
    // one whose `iat` is old (a skewed or confused issuer): our own last try counts too.
    const gap = lifetime > 0 ? Math.min(MIN_GAP_MS, lifetime / 2) : MIN_GAP_MS
    return Math.max(due, since + gap, (this.triedAt.get(alias) ?? -Infinity) + MIN_GAP_MS)
  }

  private parsedLastRefresh(alias: string, text: string): number {
    const known = this.lastRefreshByAlias.get(alias)
    if (known?.text === text) return known.ms
    const ms = Date.parse(text)
    this.lastRefreshByAlias.set(alias, { text, ms })
    return ms
  }

  private issuedAt(alias: string, token: string): number | undefined {
    const known = this.issuedAtByAlias.get(alias)
    if (known?.token === token) return known.iat
    const iat = identityFromTokens({ accessToken: token }).iat
    this.issuedAtByAlias.set(alias, { token, iat })
    return iat
  }

  private jitterFor(alias: string): number {
    let j = this.jitterByAlias.get(alias)
    if (j === undefined) {
      j = (this.opts.random ?? Math.random)() * (this.opts.jitter ?? 0.1)
      this.jitterByAlias.set(alias, j)
    }
    return j
  }

  reschedule(): void {
    if (this.stopped || this.running) return
    if (this.timer) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = undefined
    const settings = readSettings(this.store.data)
    this.forgetRemoved()
    let at = Infinity
    for (const [alias, a] of Object.entries(this.store.data.accounts)) {
      const due = this.dueAt(alias, a, settings)
      if (due !== undefined && due < at) at = due
    }
    if (at === Infinity) return
    const now = this.clock.now()
    const delay = Math.min(Math.max(0, at - now), MAX_TIMER_MS)
    this.timerAt = now + delay
    this.timer = this.clock.setTimeout(() => void (this.current = this.tick()), delay)
    this.timer.unref?.()
  }

  /** Per-alias memos of accounts removed since: dropped once they outnumber the pool's. */
  private forgetRemoved(): void {
    const accounts = this.store.data.accounts
    const limit = Object.keys(accounts).length + 64
    for (const memo of [this.issuedAtByAlias, this.lastRefreshByAlias, this.jitterByAlias]) {
      if (memo.size <= limit) continue
      for (const alias of memo.keys()) if (!Object.hasOwn(accounts, alias)) memo.delete(alias)
    }
  }

  /** Resolves when the refresh pass under way (if any) has finished and re-armed the timer. */
  async settled(): Promise<void> {
    await this.current
  }

  /** Refreshes every account that is due, one after another, then re-arms. */
  async tick(): Promise<void> {
    if (this.stopped || this.running) return
    this.running = true
    this.timer = undefined
    try {
      for (const alias of Object.keys(this.store.data.accounts)) {
        // Re-read each time: the refreshes before this one took a while, and the
        // account may have been disabled, rejected or refreshed by a caller meanwhile.
        const a = this.store.data.accounts[alias]
        const due = a && this.dueAt(alias, a)
        if (due === undefined || due > this.clock.now() || this.stopped) continue
        await this.refreshOne(alias)
      }
    } finally {
      this.running = false
      this.reschedule()
    }
  }

  private async refreshOne(alias: string): Promise<void> {
    this.triedAt.set(alias, this.clock.now())
    try {
      await this.refresher.refresh(alias, 'keep-alive')
      this.jitterByAlias.delete(alias)
      this.heldOff.delete(alias)
    } catch (err) {
      if (isRefreshError(err) && err.permanent) return // auth_invalid now: skipped from here on
      const now = this.clock.now()
      const failures = (this.store.data.accounts[alias]?.refreshFailures ?? this.heldOff.get(alias)?.failures ?? 0) + 1
      const until = now + Math.min(BACKOFF_MIN_MS * 2 ** (failures - 1), BACKOFF_MAX_MS)
      // In memory first: a store that cannot be written must not make us spin on the issuer.
      this.heldOff.set(alias, { failures, until })
      this.logger.warn('keep-alive refresh failed; backing off', { alias, failures, backoffMs: until - now })
      await this.store
        .update((d) => {
          const x = d.accounts[alias]
          if (!x) return
          recordRefreshFailure(x, failures, until)
        })
        .catch((e: unknown) => this.logger.error('could not save the keep-alive back-off', { alias, error: String(e) }))
    }
  }
}
