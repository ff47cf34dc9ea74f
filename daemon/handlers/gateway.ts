import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function gatewayHandlers(c: Components) {
  return {
    'gateway.status': () => c.gateway.status(),
  } satisfies Partial<Handlers>
}
