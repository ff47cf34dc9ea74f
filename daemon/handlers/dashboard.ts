import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function dashboardHandlers(c: Components) {
  return {
    'dashboard.open': () => c.dashboard.open(),
  } satisfies Partial<Handlers>
}
