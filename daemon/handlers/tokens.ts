import { isRpcError } from '../../protocol/errors.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { Handlers } from '../server/dispatch.js'
import { requireAccount } from '../store/lookup.js'
import { AccountGoneError } from '../tokens/refresher.js'
import type { Components } from './context.js'

export function tokenHandlers(c: Components) {
  return {
    'token.get': (params) => c.tokens.get(params),
    // Every status goes through the one intake; an alias removed since token.get gets a retry.
    'token.report': (p) => c.report(p),
    'accounts.refresh': async ({ alias }) => {
      if (alias) requireAccount(c.store.data, alias)
      const aliases = alias ? [alias] : Object.keys(c.store.data.accounts)
      const results = await Promise.all(
        aliases.map(async (a) => {
          try {
            await c.refresher.refresh(a, 'manual')
            return { alias: a, ok: true }
          } catch (err) {
            if (isRefreshError(err)) return { alias: a, ok: false, error: err.message, code: err.code }
            if (err instanceof AccountGoneError)
              return { alias: a, ok: false, error: err.message, code: 'account_removed' }
            if (isRpcError(err)) return { alias: a, ok: false, error: err.message, code: String(err.code) }
            throw err
          }
        }),
      )
      return { results }
    },
  } satisfies Partial<Handlers>
}
