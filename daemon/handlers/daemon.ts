import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function daemonHandlers(c: Components) {
  return {
    'daemon.status': () => c.status.status(),
    'daemon.shutdown': () => {
      c.requestShutdown()
      return { ok: true as const }
    },
    'logs.tail': ({ lines }) => ({ lines: c.logger.tail(lines ?? 100) }),
  } satisfies Partial<Handlers>
}
