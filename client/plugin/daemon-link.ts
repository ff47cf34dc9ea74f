import { autostartedPid, probeDaemon, startDaemon, stopViaSocket } from '../launcher.js'
import { PACKAGE_VERSION } from '../../protocol/version.js'
import { RpcClient, type CallOptions } from '../rpc/client.js'
import { DaemonNotRunningError, ProtocolSkewError } from '../rpc/errors.js'
import type { MethodName, ParamsOf, ResultOf } from '../../protocol/methods.js'
import type { PluginConfig } from './config.js'

/** The daemon cannot be reached (and could not be started): the plugin answers 503 with `message`. */
export class DaemonUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DaemonUnavailableError'
  }
}

type LinkConfig = Pick<PluginConfig, 'socketPath' | 'autostart' | 'stderrFile' | 'env' | 'rpcTimeoutMs' | 'nodePath'>

/**
 * One connection to the daemon per plugin instance, opened on first use and reopened
 * after it closes (daemon restart). When nothing answers, the daemon is started the
 * way `opencode-multi-auth daemon start` does it, unless autostart is off.
 */
export class DaemonLink {
  private client: RpcClient | undefined
  private connecting: Promise<RpcClient> | undefined
  private disposed = false

  constructor(private readonly cfg: LinkConfig) {}

  async call<M extends MethodName>(method: M, params: ParamsOf<M>, opts?: CallOptions): Promise<ResultOf<M>> {
    const client = await this.connection()
    try {
      return await client.call(method, params, opts)
    } catch (err) {
      // The connection died under this call (daemon restarted): one retry on a fresh one.
      if (!(err instanceof DaemonNotRunningError)) throw err
      return (await this.connection()).call(method, params, opts)
    }
  }

  /** For good: calls after this fail instead of opening a new connection (which would keep the process alive). */
  close(): void {
    this.disposed = true
    this.client?.close()
    this.client = undefined
  }

  private connection(): Promise<RpcClient> {
    if (this.disposed) return Promise.reject(new DaemonUnavailableError('the plugin was disposed'))
    if (this.client && !this.client.closed) return Promise.resolve(this.client)
    this.connecting ??= this.open().finally(() => (this.connecting = undefined))
    return this.connecting
  }

  private async open(): Promise<RpcClient> {
    let client: RpcClient
    try {
      client = await this.connect().catch(async (err: unknown) => {
        // Another protocol: fine to replace only a daemon a plugin started.
        if (err instanceof ProtocolSkewError && (await this.restartOwn())) return this.connect()
        throw err
      })
    } catch (err) {
      if (!(err instanceof DaemonNotRunningError)) throw this.unavailable(err)
      if (!this.cfg.autostart) {
        throw new DaemonUnavailableError(`${err.message} Autostart is off (OPENCODE_MULTI_AUTH_NO_AUTOSTART=1).`)
      }
      try {
        await this.start()
        client = await this.connect()
      } catch (startErr) {
        throw new DaemonUnavailableError(
          `no opencode-multi-auth daemon answers at ${this.cfg.socketPath}, and starting one failed: ` +
            `${startErr instanceof Error ? startErr.message : String(startErr)}. ` +
            'Start it with `opencode-multi-auth daemon start` and look at its log (`opencode-multi-auth daemon status`).',
        )
      }
    }
    if (this.disposed) {
      client.close()
      throw new DaemonUnavailableError('the plugin was disposed')
    }
    client = await this.replaceIfStale(client)
    client.onClose(() => {
      if (this.client === client) this.client = undefined
    })
    this.client = client
    return client
  }

  private start(): ReturnType<typeof startDaemon> {
    return startDaemon({
      socketPath: this.cfg.socketPath,
      stderrFile: this.cfg.stderrFile,
      env: { ...this.cfg.env },
      node: this.cfg.nodePath,
      auto: true,
    })
  }

  /**
   * A daemon of another version that a plugin started (after an upgrade): restart
   * it so this plugin's version runs. A daemon the user or a service runs is left
   * alone (its owner restarts it); clients of the same protocol still work with it.
   */
  private async replaceIfStale(client: RpcClient): Promise<RpcClient> {
    if (!this.cfg.autostart) return client
    const status = await client.call('daemon.status', {}).catch(() => undefined)
    if (!status || status.version === PACKAGE_VERSION) return client
    if (status.pid !== autostartedPid(this.cfg.stderrFile)) return client
    client.close()
    await this.restartOwn()
    return this.connect()
  }

  /** Restarts the daemon if a plugin spawned it (its pid is the one recorded at spawn); false otherwise. */
  private async restartOwn(): Promise<boolean> {
    if (!this.cfg.autostart) return false
    const status = await probeDaemon(this.cfg.socketPath).catch(() => undefined)
    if (!status || status.pid !== autostartedPid(this.cfg.stderrFile)) return false
    await stopViaSocket(this.cfg.socketPath)
    await this.start()
    return true
  }

  private connect(): Promise<RpcClient> {
    return RpcClient.connect({ socketPath: this.cfg.socketPath, timeoutMs: this.cfg.rpcTimeoutMs })
  }

  private unavailable(err: unknown): DaemonUnavailableError {
    if (err instanceof ProtocolSkewError) return new DaemonUnavailableError(err.message)
    return new DaemonUnavailableError(
      `the opencode-multi-auth daemon at ${this.cfg.socketPath} did not answer: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}
