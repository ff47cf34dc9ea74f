import type { AccountService } from '../accounts/service.js'
import type { DaemonConfig } from '../config.js'
import type { Clock } from '../deps.js'
import type { EventBus } from '../events.js'
import type { DaemonLogger } from '../log/logger.js'
import type { AccountStore } from '../store/store.js'

/** What handlers may call: components built by the composition root. */
export interface Components {
  config: DaemonConfig
  clock: Clock
  logger: DaemonLogger
  bus: EventBus
  store: AccountStore
  accounts: AccountService
  version: string
  startedAt: number
  /** Asks the daemon to stop after the current answer has been sent. */
  requestShutdown(): void
}
