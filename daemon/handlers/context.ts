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
import type { CodexSync } from '../codex/sync.js'
import type { Logins } from '../lazy/logins.js'
import type { RotationService } from '../rotation/service.js'
import type { SettingsService } from '../settings/service.js'
import type { Limits } from '../lazy/limits.js'
import type { GatewayControl } from '../lazy/gateway.js'
import type { UsageService } from '../usage/service.js'
import type { StatusReport } from '../status/status.js'
import type { RefreshNow } from '../tokens/refresh-now.js'
import type { Dashboard } from '../web/dashboard.js'

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
  /** accounts.refresh: refresh one or every account now. */
  refreshNow: RefreshNow
  /** daemon.status. */
  status: StatusReport
  keepAlive: KeepAlive
  /** Codex auth.json: adopt, write back, switch (codex.*). */
  codex: CodexSync
  /** Browser and device sign-in (login.*). */
  logins: Logins
  /** Health intake for backend answers other than 401 (rotation replaces the default). */
  report(params: ParsedParamsOf<'token.report'>): Promise<ReportResult>
  /** rotation.*: strategy, force mode, the candidate order. */
  rotation: RotationService
  settings: SettingsService
  /** The local gateway for the Codex CLI (gateway.status). */
  gateway: GatewayControl
  /** limits.refresh / limits.stop: the usage-endpoint probe queue. */
  limitsProbe: Limits
  /** usage.get: history, runway. */
  usage: UsageService
  /** The local web dashboard (dashboard.open): off until first asked for. */
  dashboard: Dashboard
  version: string
  startedAt: number
  /** Asks the daemon to stop after the current answer has been sent. */
  requestShutdown(): void
}
