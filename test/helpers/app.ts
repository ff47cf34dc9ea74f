import { startApp, type App } from '../../daemon/app.js'
import { resolveConfig } from '../../daemon/config.js'
import type { Clock, FetchFn } from '../../daemon/deps.js'
import type { StoreFs } from '../../daemon/store/fs.js'
import { createLogger } from '../../daemon/log/logger.js'
import type { NotifySpawn } from '../../daemon/usage/notifier.js'
import { RpcClient } from '../../client/rpc/client.js'
import { cleanup, makeDirs, type TestDirs } from './daemon.js'

export interface TestApp {
  app: App
  dirs: TestDirs
  client: RpcClient
  /** A fresh connection (the default `client` is shared). */
  connect(): Promise<RpcClient>
  close(): Promise<void>
}

/** An in-process daemon on a temp socket and store, with injectable clock and fetch. */
export async function startTestApp(
  opts: {
    env?: Record<string, string>
    clock?: Clock
    fetch?: FetchFn
    fs?: StoreFs
    dirs?: TestDirs
    noKeepAlive?: boolean
    notifySpawn?: NotifySpawn
    platform?: string
    dashboardPort?: number
  } = {},
): Promise<TestApp> {
  const dirs = opts.dirs ?? makeDirs(opts.env)
  const config = resolveConfig({ env: dirs.env, home: dirs.home, dashboardPort: opts.dashboardPort })
  const logger = createLogger({ level: 'debug', stderr: false, file: dirs.logFile })
  const app = await startApp({
    config,
    logger,
    pid: process.pid,
    clock: opts.clock,
    fetch: opts.fetch,
    fs: opts.fs,
    noKeepAlive: opts.noKeepAlive,
    // No test raises a real desktop notification.
    notifySpawn: opts.notifySpawn ?? (() => Promise.resolve(false)),
    platform: opts.platform,
  })
  const connect = (): Promise<RpcClient> => RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 20_000 })
  const client = await connect()
  return {
    app,
    dirs,
    client,
    connect,
    async close() {
      client.close()
      await app.stop()
      await logger.close()
      if (!opts.dirs) cleanup(dirs)
    },
  }
}
