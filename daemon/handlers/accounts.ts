import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function accountHandlers(c: Pick<Components, 'accounts'>) {
  return {
    'accounts.list': () => ({ accounts: c.accounts.list() }),
    'accounts.get': ({ alias }) => c.accounts.view(alias),
    'accounts.add': async ({ alias, ...tokens }) => {
      const r = await c.accounts.add(tokens, { alias, source: 'cli' })
      return c.accounts.view(r.alias)
    },
    'accounts.remove': async ({ alias }) => {
      await c.accounts.remove(alias)
      return { ok: true as const }
    },
    'accounts.setEnabled': ({ alias, enabled }) => c.accounts.setEnabled(alias, enabled),
    'accounts.update': ({ alias, ...patch }) => c.accounts.update(alias, patch),
  } satisfies Partial<Handlers>
}
