import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { TokenResult } from '../../protocol/methods.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { Clock, Logger } from '../deps.js'
import { healthOf } from '../rotation/health.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import { AccountGoneError, type Refresher } from './refresher.js'
import type { SelectRequest, Selector } from './selection.js'

/** A token handed out must stay valid at least this long (DESIGN: token.get). */
export const MIN_VALIDITY_MS = 60_000

export class TokenEngine {
  constructor(
    private readonly store: AccountStore,
    private readonly refresher: Refresher,
    private selector: Selector,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  setSelector(selector: Selector): void {
    this.selector = selector
  }

  /** The account's token, refreshed first when it would expire within MIN_VALIDITY_MS. */
  async fresh(alias: string): Promise<Account> {
    const acc = this.store.data.accounts[alias]
    if (!acc) throw new AccountGoneError(`account ${alias} no longer exists`)
    if (acc.expiresAt - this.clock.now() > MIN_VALIDITY_MS && !acc.refreshPendingSince) return acc
    return this.refresher.refresh(alias, 'expiring')
  }

  /** token.get: the first candidate whose token is (or can be made) valid; failures fall through. */
  async get(req: SelectRequest): Promise<TokenResult> {
    const tried = new Map<string, string>()
    const candidates = this.selector.candidates(this.store.data, req, this.clock.now())
    for (const alias of candidates) {
      try {
        const acc = await this.fresh(alias)
        this.selector.served?.(alias, req, this.clock.now())
        this.store.touch((d) => {
          const a = d.accounts[alias]
          if (!a) return
          a.usageCount = (a.usageCount ?? 0) + 1
          a.lastUsed = this.clock.now()
          d.activeAlias = alias
        })
        const result: TokenResult = { alias, accessToken: acc.accessToken, expiresAt: acc.expiresAt }
        if (acc.accountId) result.accountId = acc.accountId
        if (acc.planType) result.planType = acc.planType
        return result
      } catch (err) {
        if (!isRefreshError(err) && !(err instanceof AccountGoneError)) throw err
        tried.set(alias, err.message)
        this.logger.info('candidate failed, trying the next', { alias, error: err.message })
      }
    }
    throw this.noEligible(req, tried)
  }

  /** NO_ELIGIBLE_ACCOUNTS with every alias's reason and the earliest time one frees up. */
  noEligible(req: SelectRequest, tried = new Map<string, string>()): RpcError {
    const now = this.clock.now()
    const accounts = Object.entries(this.store.data.accounts).map(([alias, a]) => {
      const h = healthOf(a, now, req.model)
      const excluded = req.exclude?.includes(alias)
      return {
        alias,
        health: h.health,
        reason: tried.get(alias) ?? (excluded && h.health === 'ok' ? 'excluded by the caller' : h.reason),
        until: h.until,
      }
    })
    const times = accounts.map((a) => a.until).filter((t): t is number => typeof t === 'number' && t > now)
    const earliestUntil = times.length ? Math.min(...times) : undefined
    const message =
      accounts.length === 0
        ? 'no accounts: add one with `opencode-multi-auth add`'
        : `no eligible account${earliestUntil ? `; the first frees up at ${new Date(earliestUntil).toISOString()}` : ''}`
    return new RpcError(ErrorCode.NO_ELIGIBLE_ACCOUNTS, message, { accounts, earliestUntil })
  }
}

/** Interim selection (until rotation): the active alias first, then the others in store order. */
export const activeFirstSelector: Selector = {
  candidates(data, req, now) {
    const aliases = Object.keys(data.accounts).filter(
      (a) => !req.exclude?.includes(a) && healthOf(data.accounts[a], now, req.model).health === 'ok',
    )
    const active = data.activeAlias
    return active && aliases.includes(active) ? [active, ...aliases.filter((a) => a !== active)] : aliases
  },
}
