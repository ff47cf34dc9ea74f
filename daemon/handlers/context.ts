import type { AccountService } from '../accounts/service.js'
import type { DaemonConfig } from '../config.js'
import type { Clock } from '../deps.js'
import type { EventBus } from '../events.js'
import type { DaemonLogger } from '../log/logger.js'
import type { ReportResult, ParsedParamsOf } from '../../protocol/methods.js'
import type { AccountStore } from '../store/store.js'
import type { TokenEngine } from '../tokens/engine.js'
import type { KeepAlive } from '../tokens/keepalive.js'
import type { Refresher } from '../tokens/refresher.js'

/** What handlers may call: components built by the composition root. */
export interface Components {
  config: DaemonConfig
  clock: Clock
  logger: DaemonLogger
  bus: EventBus
  store: AccountStore
  accounts: AccountService
  refresher: Refresher
  tokens: TokenEngine
  keepAlive: KeepAlive
  /** Health intake for backend answers other than 401 (rotation replaces the default). */
  report(params: ParsedParamsOf<'token.report'>): Promise<ReportResult>
  version: string
  startedAt: number
  /** Asks the daemon to stop after the current answer has been sent. */
  requestShutdown(): void
}
