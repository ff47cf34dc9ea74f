import { AccountService } from './accounts/service.js'
import type { DaemonConfig } from './config.js'
import { systemClock } from './deps.js'
import { EventBus } from './events.js'
import { accountHandlers } from './handlers/accounts.js'
import type { DaemonLogger } from './log/logger.js'
import { ONESHOT_METHODS, type OneshotMethod } from '../protocol/methods.js'
import { createDispatcher, receiveLine, type CallContext, type HandlersFor } from './server/dispatch.js'
import { withStoreLock } from './store/with-lock.js'

/** The one-shot's exit code when a daemon holds the store (EX_TEMPFAIL); the CLI then asks that daemon. */
export const ONESHOT_EXIT_LOCKED = 75

/**
 * One account change with no daemon running: take the store lock (so a daemon
 * starting meanwhile waits, and one already running refuses us), answer one
 * JSON-RPC request with the daemon's own handlers and validation, release.
 * The CLI reaches this through `opencode-multi-authd --oneshot`, never by import.
 */
export async function runOneshot(config: DaemonConfig, logger: DaemonLogger, requestLine: string): Promise<string> {
  const opts = { file: config.storeFile, passphrase: config.passphrase, logger, clock: systemClock, oneshot: true }
  return withStoreLock(opts, async (store) => {
    const all = accountHandlers({
      accounts: new AccountService({ store, bus: new EventBus(systemClock), clock: systemClock }),
    })
    // Only the one-shot subset: every other method needs a running daemon.
    const allowed: HandlersFor<OneshotMethod> = pick(all, ONESHOT_METHODS)
    const ctx: CallContext = { notify: () => {}, onClose: () => {}, setSubscription: (off) => off() }
    return JSON.stringify(await receiveLine(createDispatcher(allowed, logger), requestLine, ctx))
  })
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const k of keys) out[k] = from[k]
  return out
}
