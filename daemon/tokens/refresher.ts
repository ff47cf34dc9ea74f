import { identityFromTokens, isNewerToken, sameIdentity } from '../auth/jwt.js'
import type { OAuthClient, TokenSet } from '../auth/oauth-client.js'
import { isRefreshError, RefreshError } from '../auth/oauth-errors.js'
import type { Clock, Logger, Timer } from '../deps.js'
import type { EventBus } from '../events.js'
import type { AccountStore } from '../store/store.js'
import type { Account, StoreData } from '../store/schema.js'
import {
  applyGrant,
  clearRefreshPending,
  markAuthInvalid,
  markRefreshPending,
  setCooldown,
} from '../store/account-state.js'

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

interface UnsavedPair {
  spent: string
  set: TokenSet
}

function sameAccount(a: Account, set: TokenSet): boolean {
  const id = identityFromTokens({ accessToken: set.accessToken })
  return sameIdentity({ accountId: a.accountId, userId: a.userId, email: a.email }, id)
}

function applyPair(a: Account, set: TokenSet, now: number): void {
  const id = identityFromTokens({ accessToken: set.accessToken, idToken: set.idToken ?? a.idToken })
  // A refresh keeps the account's identity: only expiry and plan come from the new tokens.
  applyGrant(a, set, { exp: id.exp, planType: id.planType }, now)
}

export interface RefresherDeps {
  store: AccountStore
  oauth: OAuthClient
  bus: EventBus
  clock: Clock
  logger: Logger
}

export type RefreshListener = (alias: string, account: Readonly<Account>) => void | Promise<void>

/**
 * The only code that spends refresh tokens. One refresh per account at a time,
 * whoever asks (docs/architecture.md#invariants, 1); the new pair is on disk before any caller sees it
 * (2); failures are classified, never recorded as rate limits (3).
 */
export class Refresher {
  private readonly inFlight = new Map<string, Promise<Account>>()
  /** Pairs the issuer rotated that the store could not take yet: the only live copies. */
  private readonly unsaved = new Map<string, UnsavedPair>()
  private readonly listeners: RefreshListener[] = []

  private readonly store: AccountStore
  private readonly oauth: OAuthClient
  private readonly bus: EventBus
  private readonly clock: Clock
  private readonly logger: Logger

  constructor(deps: RefresherDeps) {
    this.store = deps.store
    this.oauth = deps.oauth
    this.bus = deps.bus
    this.clock = deps.clock
    this.logger = deps.logger
  }

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

  /**
   * Refreshes the account's tokens, single-flight per alias. With `unlessValidFor`,
   * a token that has (meanwhile) become valid for that long is returned as it is.
   */
  refresh(alias: string, reason: string, opts: { unlessValidFor?: number } = {}): Promise<Account> {
    const running = this.inFlight.get(alias)
    if (running) return running
    const p = this.run(alias, reason, opts.unlessValidFor).finally(() => this.inFlight.delete(alias))
    this.inFlight.set(alias, p)
    return p
  }

  private async run(alias: string, reason: string, unlessValidFor: number | undefined): Promise<Account> {
    const pending = this.unsaved.get(alias)
    if (pending) return this.retrySave(alias, pending, reason)
    // Take the token to spend inside the write-ahead mutator: it runs after every write
    // queued before it (a pair adopted from Codex, a new sign-in), so a token replaced
    // meanwhile is never presented. The mark itself tells the next start, should we die
    // after the issuer rotated but before the new pair is saved, to check this token.
    const start = await this.save((d): { fresh: Account } | { spent: string } => {
      const a = d.accounts[alias]
      if (!a) throw new AccountGoneError(`account ${alias} no longer exists`)
      if (unlessValidFor !== undefined && a.expiresAt - this.clock.now() > unlessValidFor && !a.refreshPendingSince) {
        return { fresh: structuredClone(a) }
      }
      markRefreshPending(a, this.clock.now())
      return { spent: a.refreshToken }
    })
    if ('fresh' in start) return start.fresh
    const { spent } = start
    this.logger.info('refreshing tokens', { alias, reason })
    let set: TokenSet
    try {
      set = await this.oauth.refresh(spent)
    } catch (err) {
      const failure = isRefreshError(err)
        ? err
        : new RefreshError('network', 'token refresh failed', { permanent: false })
      await this.recordFailure(alias, spent, failure)
      throw failure
    }
    // From here the issuer has spent `spent`: this pair is the only live copy until saved.
    const pair = { spent, set }
    this.unsaved.set(alias, pair)
    return this.retrySave(alias, pair, reason)
  }

  /** Saves a rotated pair; on a store failure it stays in memory and the next refresh retries the save. */
  private async retrySave(alias: string, pair: UnsavedPair, reason: string): Promise<Account> {
    const saved = await this.save((d) => {
      const a = d.accounts[alias]
      if (!a) throw new AccountGoneError(`account ${alias} was removed during its refresh`)
      // Something replaced the token we spent (a re-login, an adoption): keep ours only
      // if it is the same account and newer.
      if (
        a.refreshToken !== pair.spent &&
        !(isNewerToken(pair.set.accessToken, a.accessToken) && sameAccount(a, pair.set))
      ) {
        return undefined
      }
      applyPair(a, pair.set, this.clock.now())
      return structuredClone(a)
    })
    this.unsaved.delete(alias)
    if (!saved) {
      this.logger.warn('discarded a refreshed pair: the account changed during the refresh', { alias })
      const current = this.store.data.accounts[alias]
      if (!current) throw new AccountGoneError(`account ${alias} was removed during its refresh`)
      return current
    }
    this.bus.emit('token.refreshed', { alias, expiresAt: saved.expiresAt, reason })
    // Not awaited: callers waiting for this token must not wait on auth.json's lock too.
    const failed = (err: unknown): void =>
      this.logger.warn('a refresh listener failed', { alias, error: err instanceof Error ? err.message : String(err) })
    for (const fn of this.listeners) {
      try {
        void Promise.resolve(fn(alias, saved)).catch(failed)
      } catch (err) {
        failed(err)
      }
    }
    return saved
  }

  /** A store that cannot be written rejects with STORE_UNAVAILABLE (never a refresh error); the pair stays in `unsaved`. */
  private save<T>(mutate: (d: StoreData) => T): Promise<T> {
    return this.store.update(mutate)
  }

  private async recordFailure(alias: string, spent: string, err: RefreshError): Promise<void> {
    const now = this.clock.now()
    await this.store.update((d) => {
      const a = d.accounts[alias]
      if (!a) return
      clearRefreshPending(a)
      // Tokens adopted meanwhile (from Codex, a sign-in) are not what failed.
      if (a.refreshToken !== spent) return
      if (err.permanent) {
        markAuthInvalid(a, `token refresh rejected (${err.code}); sign in again`, now)
      } else {
        setCooldown(
          a,
          now + REFRESH_COOLDOWN_MS,
          `token refresh failed (${TRANSIENT_TEXT[err.code] ?? err.code}) after ${err.attempts} attempt(s)`,
        )
      }
    })
    this.logger.warn('token refresh failed', {
      alias,
      code: err.code,
      permanent: err.permanent,
      attempts: err.attempts,
    })
    this.bus.emit('account.updated', { alias, change: err.permanent ? 'auth_invalid' : 'cooldown' })
  }
}
