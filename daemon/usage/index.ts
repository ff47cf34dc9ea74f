import { ALERT_TOPICS } from '../../protocol/alerts.js'
import type { Clock, Logger } from '../deps.js'
import type { EventBus } from '../events.js'
import { readSettings } from '../settings/read.js'
import { AtomicWriter, removeStaleTemps, type StoreFs } from '../store/fs.js'
import type { AccountStore } from '../store/store.js'
import { AlertMonitor } from './alerts.js'
import { USAGE_FILE_VERSION, usageFilePath } from './file.js'
import { UsageHistory } from './history.js'
import { DesktopNotifier, type NotifySpawn } from './notifier.js'
import { UsageService } from './service.js'

export interface UsageDeps {
  store: AccountStore
  bus: EventBus
  clock: Clock
  logger: Logger
  spawn: NotifySpawn
  platform: string
  fs: StoreFs
  /** Names temp files (see AtomicWriter). */
  pid: number
}

export interface Usage {
  service: UsageService
  history: UsageHistory
  alerts: AlertMonitor
  /** Stops the alerts and writes what the history has not written yet. */
  close(): Promise<void>
}

/** The usage component: history beside the store, usage.get, alerts and the daemon's own notifications. */
export async function createUsage(deps: UsageDeps): Promise<Usage> {
  const { store, bus, clock, logger, fs } = deps
  const path = usageFilePath(store.path)
  // Temps a crashed run left: ours to remove, the daemon holds the store lock.
  await removeStaleTemps(fs, path, logger).catch(() => {})
  const history = await UsageHistory.open({
    path,
    fs,
    writer: new AtomicWriter(fs, deps.pid),
    sealer: store.sealer(USAGE_FILE_VERSION),
    clock,
    logger,
    data: () => store.data,
  })
  const offRemoved = bus.subscribe(['account.updated'], (e) => {
    if (e.type === 'account.updated' && e.change === 'removed') history.forget(e.alias)
  })
  const service = new UsageService({ store, history, clock })
  const offProbe = bus.subscribe(['limits.updated'], (e) => {
    if (e.type === 'limits.updated' && e.source === 'probe' && 'ok' in e && e.ok) service.recordProbe(e.alias)
  })
  const alerts = new AlertMonitor({ store, bus, clock })
  alerts.start()
  const notifier = new DesktopNotifier({
    spawn: deps.spawn,
    platform: deps.platform,
    logger,
    enabled: () => readSettings(store.data).notify,
  })
  const offNotify = bus.subscribe(ALERT_TOPICS, (e) => void notifier.notify(e))
  return {
    service,
    history,
    alerts,
    async close() {
      offNotify()
      offRemoved()
      offProbe()
      alerts.stop()
      await history.close()
    },
  }
}
