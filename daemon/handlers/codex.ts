import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function codexHandlers(c: Components): Handlers {
  return {
    'codex.sync': () => c.codex.sync(),
    'codex.use': ({ alias }) => c.codex.use(alias),
  }
}
