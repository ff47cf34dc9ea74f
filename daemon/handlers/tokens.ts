import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function tokenHandlers(c: Components) {
  return {
    'token.get': (params) => c.tokens.get(params),
    // Every status goes through the one intake; an alias removed since token.get gets a retry.
    'token.report': (p) => c.report(p),
    'accounts.refresh': ({ alias }) => c.refreshNow.run(alias),
  } satisfies Partial<Handlers>
}
