import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function loginHandlers(c: Components) {
  return {
    'login.start': (params) => c.logins.start(params),
    'login.wait': ({ loginId, timeoutMs }) => c.logins.wait(loginId, timeoutMs),
  } satisfies Partial<Handlers>
}
