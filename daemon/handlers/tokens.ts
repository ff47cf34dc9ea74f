import { isRefreshError } from '../auth/oauth-errors.js'
import type { Handlers } from '../server/dispatch.js'
import { requireAccount } from '../accounts/service.js'
import { handleUnauthorized } from '../tokens/unauthorized.js'
import type { Components } from './context.js'

export function tokenHandlers(c: Components): Handlers {
  return {
    'token.get': (params) => c.tokens.get(params),
    'token.report': async (p) => {
      requireAccount(c.store.data, p.alias)
      if (p.status === 401) return handleUnauthorized(p.alias, c)
      return c.report(p)
    },
    'accounts.refresh': async ({ alias }) => {
      const aliases = alias ? [alias] : Object.keys(c.store.data.accounts)
      if (alias) requireAccount(c.store.data, alias)
      const results = await Promise.all(
        aliases.map(async (a) => {
          try {
            await c.refresher.refresh(a, 'manual')
            return { alias: a, ok: true }
          } catch (err) {
            if (!isRefreshError(err)) throw err
            return { alias: a, ok: false, error: err.message, code: err.code }
          }
        }),
      )
      return { results }
    },
  }
}
