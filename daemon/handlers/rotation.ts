import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function rotationHandlers(c: Components) {
  return {
    'rotation.get': ({ model }) => c.rotation.get(model),
    'rotation.setStrategy': ({ strategy }) => c.rotation.setStrategy(strategy),
    'rotation.force': ({ alias, ttlMs }) => c.rotation.pin(alias, ttlMs),
    'rotation.clearForce': () => c.rotation.clearForce(),
  } satisfies Partial<Handlers>
}
