import { AccountService } from './accounts/service.js'
import type { DaemonConfig } from './config.js'
import { systemClock, type Clock, type FetchFn } from './deps.js'
import { EventBus } from './events.js'
import { accountHandlers } from './handlers/accounts.js'
import type { Components } from './handlers/context.js'
import { daemonHandlers } from './handlers/daemon.js'
import { eventHandlers } from './handlers/events.js'
import { tokenHandlers } from './handlers/tokens.js'
import { codexHandlers } from './handlers/codex.js'
import { loginHandlers } from './handlers/login.js'
import { dashboardHandlers } from './handlers/dashboard.js'
import { Dashboard } from './web/dashboard.js'
import { createCodexSync } from './codex/index.js'
import { lazyLogins } from './lazy/logins.js'
import { createOAuthClient } from './auth/oauth-client.js'
import { TokenEngine } from './tokens/engine.js'
import { limitsHandlers } from './handlers/limits.js'
import { lazyLimitsProbe } from './lazy/limits.js'
import { rotationHandlers } from './handlers/rotation.js'
import { settingsHandlers } from './handlers/settings.js'
import { gatewayHandlers } from './handlers/gateway.js'
import { lazyGateway } from './lazy/gateway.js'
import { spawnLazily } from './lazy/spawn.js'
import { ReportIntake } from './rotation/report.js'
import { RotationSelector } from './rotation/selector.js'
import { forceState } from './rotation/force.js'
import { RotationService } from './rotation/service.js'
import { SettingsService } from './settings/service.js'
import { readSettings } from './settings/read.js'
import { outboundFetch } from './lazy/outbound.js'
import { KeepAlive } from './tokens/keepalive.js'
import { RefreshNow } from './tokens/refresh-now.js'
import { StatusReport } from './status/status.js'
import { Refresher } from './tokens/refresher.js'
import type { DaemonLogger } from './log/logger.js'
import { createDispatcher, type Handlers } from './server/dispatch.js'
import { SocketServer } from './server/socket-server.js'
import { nodeFs, type StoreFs } from './store/fs.js'
import type { SpawnFn } from './codex/lock.js'
import { AccountStore } from './store/store.js'
import { PACKAGE_VERSION } from '../protocol/version.js'
import { usageHandlers } from './handlers/usage.js'
import { createUsage, type Usage } from './usage/index.js'
import { nodeNotifySpawn, type NotifySpawn } from './usage/notifier.js'

export interface AppDeps {
  config: DaemonConfig
  logger: DaemonLogger
  clock?: Clock
  /** The daemon's process id, as daemon.status reports it. */
  pid: number
  fetch?: FetchFn
  /** The file system the store and the Codex write-back use (tests inject failures). */
  fs?: StoreFs
  /** child_process.spawn, for flock(1) around Codex auth.json writes. */
  spawn?: SpawnFn
  /** Uniform in [0, 1) for the `random` strategy; tests seed it. */
  random?: () => number
  /** Tests of token.get alone turn the background refresher off so it cannot race them. */
  noKeepAlive?: boolean
  /** Starts a desktop notifier (setting `notify`); tests pass a fake. */
  notifySpawn?: NotifySpawn
  platform?: string
  /** A listening socket inherited from the service manager (socket activation); else we bind the path. */
  listenFd?: number
  /** Where the dashboard's page is (tests of a built package point elsewhere). */
  dashboardStaticDir?: string
  /** Called when a client asked the daemon to stop. */
  onShutdownRequest?: () => void
}

export interface App {
  components: Components
  server: SocketServer
  /** Usage history and alerts (tests flush the history through it). */
  usage: Usage
  /** Graceful stop: stop accepting, drain, flush the store, release the lock. */
  stop(): Promise<void>
}

/**
 * The composition root's workhorse: builds every component with its
 * dependencies passed in. main.ts adds process concerns (signals, exit codes);
 * tests call this directly to get an in-process daemon.
 */
export async function startApp(deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock
  const { config, logger } = deps
  const fs = deps.fs ?? nodeFs
  const store = await AccountStore.open({
    file: config.storeFile,
    passphrase: config.passphrase,
    logger,
    clock,
    fs,
  })
  const bus = new EventBus(clock)
  const outbound = { env: config.env, setting: () => readSettings(store.data).proxy, logger, direct: fetch }
  // The one fetch every outbound call uses, wrapped once here so the call sites stay proxy-unaware.
  const net = deps.fetch ?? (await outboundFetch(outbound))
  const oauth = createOAuthClient({ issuer: config.issuer, fetch: net, clock, logger })
  const refresher = new Refresher({ store, oauth, bus, clock, logger })
  const selector = new RotationSelector({
    store,
    random: deps.random ?? Math.random,
    onActiveChange: (alias, previous) => bus.emit('rotation.changed', { change: 'active', alias, previous }),
  })
  const tokens = new TokenEngine({ store, refresher, selector, clock, logger })
  const keepAlive = new KeepAlive({ store, refresher, bus, clock, logger })
  const accounts = new AccountService({ store, bus, clock })
  const codex = createCodexSync(config, {
    accounts,
    store,
    refresher,
    clock,
    logger,
    fs,
    spawn: deps.spawn ?? spawnLazily,
  })
  const logins = lazyLogins(config, { oauth, accounts, fetch: net, clock, logger })
  const settings = new SettingsService({ store, bus, clock, pinActive: (d, now) => forceState(d, now).active })
  // New keep-alive intervals take effect now, not at the next account event.
  settings.onChange(() => {
    if (!deps.noKeepAlive) keepAlive.reschedule()
  })
  const intake = new ReportIntake({ store, refresher, bus, clock, logger })
  const limitsProbe = lazyLimitsProbe({
    store,
    refresher,
    bus,
    clock,
    logger,
    fetch: net,
    baseUrl: config.chatgptBaseUrl,
  })
  const usage = await createUsage({
    store,
    bus,
    clock,
    logger,
    spawn: deps.notifySpawn ?? nodeNotifySpawn(config.env),
    platform: deps.platform ?? process.platform,
    fs,
    pid: deps.pid,
  })
  const rotation = new RotationService({ store, selector, settings, bus, clock })
  const startedAt = clock.now()
  const status = new StatusReport({
    config,
    store,
    force: () => rotation.force(),
    version: PACKAGE_VERSION,
    pid: deps.pid,
    startedAt,
  })
  // The dashboard serves the dispatcher built below from handlers that include its own.
  const built: { dispatcher?: ReturnType<typeof createDispatcher> } = {}
  const dashboard = new Dashboard({
    clock,
    logger,
    dispatcher: () => {
      if (!built.dispatcher) throw new Error('dashboard started before the dispatcher was built')
      return built.dispatcher
    },
    port: () => config.dashboardPort ?? settings.get().dashboardPort,
    ...(deps.dashboardStaticDir ? { staticDir: deps.dashboardStaticDir } : {}),
  })
  // Every answer a client reports, the plugin's or the gateway's, reaches the usage history too.
  const report: Components['report'] = async (p) => {
    const answer = await intake.report(p)
    usage.service.recordReport(p, answer)
    return answer
  }
  const gateway = lazyGateway({
    secretFile: config.gatewaySecretFile,
    chatgptBase: config.chatgptBaseUrl,
    forced: config.gatewayForced,
    tokens,
    report,
    rotation,
    store,
    refresher,
    fetch: net,
    ...(deps.fetch ? {} : { outbound }),
    clock,
    logger,
  })
  settings.onChange((s) => void gateway.apply(s))
  const components: Components = {
    config,
    clock,
    logger,
    bus,
    store,
    accounts,
    codex,
    logins,
    refresher,
    tokens,
    refreshNow: new RefreshNow({ store, refresher }),
    status,
    keepAlive,
    report,
    rotation,
    gateway,
    settings,
    limitsProbe,
    usage: usage.service,
    dashboard,
    version: PACKAGE_VERSION,
    startedAt,
    requestShutdown: () => setImmediate(() => deps.onShutdownRequest?.()),
  }
  const handlers: Handlers = {
    ...daemonHandlers(components),
    ...accountHandlers(components),
    ...eventHandlers(components),
    ...tokenHandlers(components),
    ...rotationHandlers(components),
    ...settingsHandlers(components),
    ...limitsHandlers(components),
    ...codexHandlers(components),
    ...loginHandlers(components),
    ...gatewayHandlers(components),
    ...usageHandlers(components),
    ...dashboardHandlers(components),
  }
  const dispatcher = createDispatcher(handlers, logger)
  built.dispatcher = dispatcher
  // Settle refreshes a crash cut short before anyone is served a possibly spent token.
  await refresher.recoverInterrupted(10_000)
  if (!deps.noKeepAlive) keepAlive.start()
  await codex.start()
  const server = new SocketServer({
    path: config.socketPath,
    dispatcher,
    logger,
    inheritedFd: deps.listenFd,
  })
  try {
    await server.listen()
  } catch (err) {
    keepAlive.stop()
    await codex.stop()
    await usage.close()
    await store.close()
    throw err
  }
  if (settings.get().dashboardAlwaysOn) await startDashboard(dashboard, logger)
  // Turning dashboardAlwaysOn on takes effect now; turning it off leaves a running dashboard until the stop.
  settings.onChange((s) => {
    if (s.dashboardAlwaysOn && !dashboard.running) void startDashboard(dashboard, logger)
  })
  await gateway.apply(settings.get())
  logger.info('daemon ready', {
    socket: config.socketPath,
    activated: deps.listenFd !== undefined,
    store: store.path,
    accounts: Object.keys(store.data.accounts).length,
  })

  let stopping: Promise<void> | undefined
  return {
    components,
    server,
    usage,
    stop() {
      stopping ??= (async () => {
        keepAlive.stop()
        await logins.stop()
        await dashboard.stop()
        await server.close()
        await gateway.close()
        // Before the drain: a probe may be what started a refresh, and its write needs the store.
        await limitsProbe.close()
        // Refreshes first, then Codex: a pair refreshed during the stop is still written back.
        await refresher.drain()
        await codex.stop()
        await usage.close()
        await store.close()
      })()
      return stopping
    },
  }
}

/** A dashboard that cannot start (port taken) is reported, never a reason for the daemon not to run. */
async function startDashboard(dashboard: Dashboard, logger: DaemonLogger): Promise<void> {
  try {
    await dashboard.start()
  } catch (err) {
    logger.error('dashboard did not start', { error: err instanceof Error ? err.message : String(err) })
  }
}
