import type { LoginManager, LoginManagerOptions } from '../auth/login-manager.js'
import { deferred } from './once.js'

export type Logins = Pick<LoginManager, 'start' | 'wait' | 'stop'>

/** Sign-in (callback server, device flow, login pages) loaded at the first login.*, not at start. */
export function lazyLogins(
  config: { issuer: string; env: Record<string, string | undefined> },
  deps: Omit<LoginManagerOptions, 'issuer' | 'ports'>,
): Logins {
  const manager = deferred(async () => (await import('../auth/login-manager.js')).createLoginManager(config, deps))
  return {
    start: async (params) => (await manager.get()).start(params),
    wait: async (loginId, timeoutMs) => (await manager.get()).wait(loginId, timeoutMs),
    // Never asked for means no sign-in ever ran: nothing to cancel (and nothing to load).
    stop: async () => {
      await (await manager.ifAsked())?.stop()
    },
  }
}
