import { AccountService } from './accounts/service.js'
import type { DaemonConfig } from './config.js'
import { systemClock } from './deps.js'
import { EventBus } from './events.js'
import { accountHandlers } from './handlers/accounts.js'
import type { DaemonLogger } from './log/logger.js'
import { createDispatcher, receiveLine, type CallContext } from './server/dispatch.js'
import { withStoreLock } from './store/store.js'

/** The account changes the CLI may make while no daemon runs. */
export const ONESHOT_METHODS = ['accounts.add', 'accounts.remove', 'accounts.setEnabled', 'accounts.update'] as const

/**
 * One account change with no daemon running: take the store lock (so a daemon
 * starting meanwhile waits, and one already running refuses us), answer one
 * JSON-RPC request with the daemon's own handlers and validation, release.
 * The CLI reaches this through `opencode-multi-authd --oneshot`, never by import.
 */
export async function runOneshot(config: DaemonConfig, logger: DaemonLogger, requestLine: string): Promise<string> {
  const opts = { file: config.storeFile, passphrase: config.passphrase, logger, clock: systemClock }
  return withStoreLock(opts, async (store) => {
    const all = accountHandlers({ accounts: new AccountService(store, new EventBus(systemClock), systemClock) })
    const allowed = Object.fromEntries(
      Object.entries(all).filter(([m]) => (ONESHOT_METHODS as readonly string[]).includes(m)),
    )
    const ctx: CallContext = { notify: () => {}, onClose: () => {}, setSubscription: (off) => off() }
    return JSON.stringify(await receiveLine(createDispatcher(allowed, logger), requestLine, ctx))
  })
}
