import { identityFromTokens } from '../auth/jwt.js'
import type { OAuthClient } from '../auth/oauth-client.js'
import { isRefreshError, RefreshError } from '../auth/oauth-errors.js'
import type { Clock, Logger, Timer } from '../deps.js'
import type { EventBus } from '../events.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'

/** How long an account rests after a transient refresh failure has used its retries. */
export const REFRESH_COOLDOWN_MS = 60_000

// Words for people: an issuer 429 must not read like a usage limit on the account.
const TRANSIENT_TEXT: Partial<Record<RefreshError['code'], string>> = {
  rate_limited_by_issuer: 'sign-in server busy, HTTP 429',
  server_error: 'sign-in server error',
  timeout: 'no answer in time',
  network: 'network error',
  bad_response: 'unusable answer from the sign-in server',
}

export class AccountGoneError extends Error {}

export type RefreshListener = (alias: string, account: Readonly<Account>) => void | Promise<void>

/**
 * The only code that spends refresh tokens. One refresh per account at a time,
 * whoever asks (invariant 1); the new pair is on disk before any caller sees it
 * (invariant 2); failures are classified, never recorded as rate limits (invariant 3).
 */
export class Refresher {
  private readonly inFlight = new Map<string, Promise<Account>>()
  private readonly listeners: RefreshListener[] = []

  constructor(
    private readonly store: AccountStore,
    private readonly oauth: OAuthClient,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Runs after every successful refresh, once the pair is durable (e.g. Codex write-back). */
  onRefreshed(fn: RefreshListener): void {
    this.listeners.push(fn)
  }

  /**
   * After a crash mid-refresh the stored token may already be spent. Trying it
   * settles the question before clients are served: success keeps the account,
   * a reuse answer marks it for re-login instead of leaving a silently dead token.
   */
  async recoverInterrupted(timeoutMs: number): Promise<string[]> {
    const flagged = Object.entries(this.store.data.accounts)
      .filter(([, a]) => a.refreshPendingSince !== undefined && a.enabled !== false && !a.authInvalid)
      .map(([alias]) => alias)
    if (flagged.length === 0) return flagged
    this.logger.warn('checking refreshes interrupted by the last stop', { aliases: flagged })
    const all = Promise.allSettled(flagged.map((a) => this.refresh(a, 'interrupted-refresh-check')))
    let timer: Timer | undefined
    await Promise.race([all, new Promise<void>((r) => (timer = this.clock.setTimeout(r, timeoutMs)))])
    if (timer) this.clock.clearTimeout(timer)
    return flagged
  }

  /** Waits for refreshes under way, so a stop never drops a pair the issuer already rotated. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()])
  }

  isRefreshing(alias: string): boolean {
    return this.inFlight.has(alias)
  }

  refresh(alias: string, reason: string): Promise<Account> {
    const running = this.inFlight.get(alias)
    if (running) return running
    const p = this.run(alias, reason).finally(() => this.inFlight.delete(alias))
    this.inFlight.set(alias, p)
    return p
  }

  private async run(alias: string, reason: string): Promise<Account> {
    const before = this.store.data.accounts[alias]
    if (!before) throw new AccountGoneError(`account ${alias} no longer exists`)
    const spent = before.refreshToken
    // Write-ahead mark: if we die after the issuer rotated the token but before the
    // new pair is saved, the next start knows this token may be spent and checks it.
    await this.store.update((d) => {
      const a = d.accounts[alias]
      if (a) a.refreshPendingSince = this.clock.now()
    })
    this.logger.info('refreshing tokens', { alias, reason })
    try {
      const set = await this.oauth.refresh(spent)
      const saved = await this.store.update((d) => {
        const a = d.accounts[alias]
        if (!a) throw new AccountGoneError(`account ${alias} was removed during its refresh`)
        const id = identityFromTokens({ accessToken: set.accessToken, idToken: set.idToken ?? a.idToken })
        a.accessToken = set.accessToken
        a.refreshToken = set.refreshToken ?? a.refreshToken
        if (set.idToken) a.idToken = set.idToken
        a.expiresAt = set.expiresAt ?? id.exp ?? a.expiresAt
        a.lastRefresh = new Date(this.clock.now()).toISOString()
        if (id.planType) a.planType = id.planType
        for (const k of ['refreshPendingSince', 'cooldownUntil', 'cooldownReason', 'refreshFailures', 'nextRefreshAt'] as const) delete a[k]
        return structuredClone(a)
      })
      this.bus.emit('token.refreshed', { alias, expiresAt: saved.expiresAt, reason })
      for (const fn of this.listeners) {
        try {
          await fn(alias, saved)
        } catch (err) {
          this.logger.warn('a refresh listener failed', { alias, error: err instanceof Error ? err.message : String(err) })
        }
      }
      return saved
    } catch (err) {
      if (err instanceof AccountGoneError) throw err
      const failure = isRefreshError(err) ? err : new RefreshError('network', String(err), { permanent: false })
      await this.recordFailure(alias, spent, failure)
      throw failure
    }
  }

  private async recordFailure(alias: string, spent: string, err: RefreshError): Promise<void> {
    const now = this.clock.now()
    await this.store.update((d) => {
      const a = d.accounts[alias]
      if (!a) return
      delete a.refreshPendingSince
      // Tokens adopted meanwhile (from Codex, a sign-in) are not what failed.
      if (a.refreshToken !== spent) return
      if (err.permanent) {
        a.authInvalid = true
        a.authInvalidatedAt = now
        a.authInvalidReason = `token refresh rejected (${err.code}); sign in again`
      } else {
        a.cooldownUntil = now + REFRESH_COOLDOWN_MS
        a.cooldownReason = `token refresh failed (${TRANSIENT_TEXT[err.code] ?? err.code}) after ${err.attempts} attempt(s)`
      }
    })
    this.logger.warn('token refresh failed', { alias, code: err.code, permanent: err.permanent, attempts: err.attempts })
    this.bus.emit('account.updated', { alias, change: err.permanent ? 'auth_invalid' : 'cooldown' })
  }
}
