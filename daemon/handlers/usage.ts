import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function usageHandlers(c: Pick<Components, 'usage'>) {
  return {
    'usage.get': (params) => c.usage.get(params),
  } satisfies Partial<Handlers>
}
