import type { DaemonStatus } from '../../protocol/methods.js'
import type { ForceState } from '../../protocol/schemas.js'
import { PROTOCOL_VERSION } from '../../protocol/version.js'
import type { DaemonConfig } from '../config.js'
import { readSettings } from '../settings/read.js'
import type { StoreData } from '../store/schema.js'

export interface StatusDeps {
  config: Pick<DaemonConfig, 'socketPath' | 'codexAuthFile' | 'logFile'>
  store: {
    readonly data: Readonly<StoreData>
    readonly path: string
    readonly encrypted: boolean
    readonly recoveredFrom?: string
  }
  /** Force mode as it stands now (rotation's view of the pin). */
  force(): ForceState
  version: string
  pid: number
  startedAt: number
}

/** daemon.status: what runs, where its files are, and the rotation state in one answer. */
export class StatusReport {
  constructor(private readonly deps: StatusDeps) {}

  status(): DaemonStatus {
    const { config, store } = this.deps
    const data = store.data
    const status: DaemonStatus = {
      version: this.deps.version,
      protocolVersion: PROTOCOL_VERSION,
      pid: this.deps.pid,
      startedAt: this.deps.startedAt,
      socketPath: config.socketPath,
      storePath: store.path,
      codexAuthPath: config.codexAuthFile,
      logPath: config.logFile,
      encrypted: store.encrypted,
      accountCount: Object.keys(data.accounts).length,
      strategy: readSettings(data).rotationStrategy,
      activeAlias: data.activeAlias,
      force: this.deps.force(),
    }
    if (store.recoveredFrom) status.recoveredFrom = store.recoveredFrom
    return status
  }
}
