import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function codexHandlers(c: Components) {
  return {
    'codex.sync': () => c.codex.sync(),
    'codex.use': ({ alias }) => c.codex.use(alias),
  } satisfies Partial<Handlers>
}
