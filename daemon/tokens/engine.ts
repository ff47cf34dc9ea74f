import type { TokenResult } from '../../protocol/methods.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { Clock, Logger } from '../deps.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import { AccountGoneError, type Refresher } from './refresher.js'
import type { SelectRequest, Selector } from './selection.js'

/** A token handed out must stay valid at least this long (docs/protocol.md, token.get). */
export const MIN_VALIDITY_MS = 60_000

const NO_FAILURES: ReadonlyMap<string, string> = new Map()

export interface TokenEngineDeps {
  store: AccountStore
  refresher: Refresher
  selector: Selector
  clock: Clock
  logger: Logger
}

export class TokenEngine {
  private readonly store: AccountStore
  private readonly refresher: Refresher
  private readonly selector: Selector
  private readonly clock: Clock
  private readonly logger: Logger

  constructor(deps: TokenEngineDeps) {
    this.store = deps.store
    this.refresher = deps.refresher
    this.selector = deps.selector
    this.clock = deps.clock
    this.logger = deps.logger
  }

  /** Valid for at least MIN_VALIDITY_MS and not under a crash check: usable without a refresh. */
  private usable(acc: Account): boolean {
    return acc.expiresAt - this.clock.now() > MIN_VALIDITY_MS && !acc.refreshPendingSince
  }

  /** token.get: the first candidate whose token is (or can be made) valid; failures fall through. */
  async get(req: SelectRequest): Promise<TokenResult> {
    // Only a failed candidate needs it: the common call allocates nothing here.
    let tried: Map<string, string> | undefined
    const candidates = this.selector.candidates(this.store.data, req, this.clock.now())
    for (const alias of candidates) {
      const acc = this.store.data.accounts[alias]
      if (acc && this.usable(acc)) {
        // No await between choosing and recording the choice: concurrent calls must
        // see the rotation move on, or round-robin hands them all the same account.
        return this.serve(alias, acc, req)
      }
      try {
        const fresh = await this.refresher.refresh(alias, 'expiring', { unlessValidFor: MIN_VALIDITY_MS })
        return this.serve(alias, fresh, req)
      } catch (err) {
        if (!isRefreshError(err) && !(err instanceof AccountGoneError)) throw err
        ;(tried ??= new Map()).set(alias, err.message)
        this.logger.info('candidate failed, trying the next', { alias, error: err.message })
      }
    }
    throw this.selector.exhausted(this.store.data, req, this.clock.now(), tried ?? NO_FAILURES)
  }

  private serve(alias: string, acc: Account, req: SelectRequest): TokenResult {
    this.selector.served(alias, req, this.clock.now())
    this.store.touch((d) => {
      const a = d.accounts[alias]
      if (!a) return
      a.usageCount = (a.usageCount ?? 0) + 1
      a.lastUsed = this.clock.now()
      d.activeAlias = alias
    }, 'counters')
    const result: TokenResult = { alias, accessToken: acc.accessToken, expiresAt: acc.expiresAt }
    if (acc.accountId) result.accountId = acc.accountId
    if (acc.planType) result.planType = acc.planType
    return result
  }
}
