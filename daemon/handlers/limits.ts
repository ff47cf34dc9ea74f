import { readLimits } from '../limits/read.js'
import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function limitsHandlers(c: Components) {
  return {
    'limits.get': ({ alias }) => readLimits(c.store.data, c.clock.now(), alias),
    // Both answer at once with the queue state; probes report through 'limits.updated'.
    'limits.refresh': ({ alias }) => c.limitsProbe.refresh(alias),
    'limits.stop': ({ alias }) => c.limitsProbe.stop(alias),
  } satisfies Partial<Handlers>
}
