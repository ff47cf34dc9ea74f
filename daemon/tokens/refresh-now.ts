import { isRpcError } from '../../protocol/errors.js'
import type { RefreshResult } from '../../protocol/methods.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import { requireAccount } from '../store/lookup.js'
import type { StoreData } from '../store/schema.js'
import { AccountGoneError, type Refresher } from './refresher.js'

type Outcome = RefreshResult['results'][number]

export interface RefreshNowDeps {
  store: { readonly data: Readonly<StoreData> }
  refresher: Pick<Refresher, 'refresh'>
}

/**
 * accounts.refresh: refresh one account, or all, now. Each alias gets its own
 * outcome; `code` is the token endpoint's error code (invalid_grant, ...),
 * `account_removed`, or the JSON-RPC code of a daemon error (STORE_UNAVAILABLE's -32004).
 */
export class RefreshNow {
  constructor(private readonly deps: RefreshNowDeps) {}

  async run(alias?: string): Promise<RefreshResult> {
    const data = this.deps.store.data
    if (alias) requireAccount(data, alias)
    const aliases = alias ? [alias] : Object.keys(data.accounts)
    return { results: await Promise.all(aliases.map((a) => this.one(a))) }
  }

  private async one(alias: string): Promise<Outcome> {
    try {
      await this.deps.refresher.refresh(alias, 'manual')
      return { alias, ok: true }
    } catch (err) {
      if (isRefreshError(err)) return { alias, ok: false, error: err.message, code: err.code }
      if (err instanceof AccountGoneError) return { alias, ok: false, error: err.message, code: 'account_removed' }
      if (isRpcError(err)) return { alias, ok: false, error: err.message, code: String(err.code) }
      throw err
    }
  }
}
