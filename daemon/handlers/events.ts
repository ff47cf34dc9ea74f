import { EVENT_NOTIFICATION } from '../../protocol/methods.js'
import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function eventHandlers(c: Components) {
  return {
    'events.subscribe': ({ topics }, ctx) => {
      const off = c.bus.subscribe(topics, (event) => ctx.notify(EVENT_NOTIFICATION, event))
      // One per connection: a second subscribe replaces the first instead of stacking up.
      ctx.setSubscription(off)
      return { subscribed: topics && topics.length ? topics : ['*'] }
    },
  } satisfies Partial<Handlers>
}
