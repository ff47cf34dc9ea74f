import { connect as netConnect, type Socket } from 'node:net'
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCResponse } from 'json-rpc-2.0'
import { encodeFrame, LineDecoder } from '../../protocol/framing.js'
import { RpcError } from '../../protocol/errors.js'
import { EVENT_NOTIFICATION, type MethodName, type ParamsOf, type ResultOf } from '../../protocol/methods.js'
import type { DaemonEvent, EventOf, EventTopic } from '../../protocol/events.js'
import { PROTOCOL_VERSION } from '../../protocol/version.js'
import { CallTimeoutError, DaemonNotRunningError, ProtocolSkewError } from './errors.js'

export interface ConnectOptions {
  socketPath: string
  /** Default per-call timeout. */
  timeoutMs?: number
  /** Skip the protocolVersion check (the check costs one call). */
  skipVersionCheck?: boolean
}

export interface CallOptions {
  timeoutMs?: number
}

/** A typed connection to the daemon; calls are checked against the method table at compile time. */
export class RpcClient {
  private readonly rpc: JSONRPCClient
  private readonly listeners = new Set<(e: DaemonEvent) => void>()
  private closedWith: Error | undefined
  /** An error the daemon sent with no id (refused, oversized frame) just before it hung up. */
  private farewell: RpcError | undefined
  private readonly closeListeners = new Set<(err?: Error) => void>()

  private constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectOptions,
  ) {
    this.rpc = new JSONRPCClient((payload) => {
      if (this.closedWith) throw this.closedWith
      socket.write(encodeFrame(payload))
    })
    const decoder = new LineDecoder()
    socket.on('data', (chunk: Buffer) => {
      let lines: string[]
      try {
        lines = decoder.push(chunk)
      } catch (err) {
        // An answer over the frame cap: give up on this connection, never throw from here
        // (inside OpenCode an uncaught exception would take the host down).
        socket.destroy(err instanceof Error ? err : new Error(String(err)))
        return
      }
      for (const line of lines) this.receive(line)
    })
    const onGone = (err?: Error): void => {
      if (this.closedWith) return
      this.closedWith =
        this.farewell ?? new DaemonNotRunningError(opts.socketPath, err ? err.message : 'connection closed')
      this.rpc.rejectAllPendingRequests(this.closedWith.message)
      for (const fn of this.closeListeners) fn(this.closedWith)
    }
    socket.on('error', onGone)
    socket.on('close', () => onGone())
  }

  static async connect(opts: ConnectOptions): Promise<RpcClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect(opts.socketPath)
      s.once('connect', () => {
        s.removeAllListeners('error')
        resolve(s)
      })
      s.once('error', (err: NodeJS.ErrnoException) =>
        reject(new DaemonNotRunningError(opts.socketPath, err.code ?? err.message)),
      )
    })
    const client = new RpcClient(socket, opts)
    if (!opts.skipVersionCheck) {
      try {
        const status = await client.call('daemon.status', {})
        if (status.protocolVersion !== PROTOCOL_VERSION)
          throw new ProtocolSkewError(status.protocolVersion, PROTOCOL_VERSION)
      } catch (err) {
        client.close()
        throw err
      }
    }
    return client
  }

  private receive(line: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(line)
    } catch {
      return
    }
    if (msg && typeof msg === 'object' && 'method' in msg) {
      const m = msg as { method: string; params?: unknown }
      if (m.method === EVENT_NOTIFICATION) for (const fn of this.listeners) fn(m.params as DaemonEvent)
      return
    }
    const r = msg as { id?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } }
    if (r.id === null && r.error && typeof r.error.code === 'number' && typeof r.error.message === 'string') {
      this.farewell = new RpcError(r.error.code, r.error.message, r.error.data)
      return
    }
    this.rpc.receive(msg as JSONRPCResponse)
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>, opts: CallOptions = {}): Promise<ResultOf<M>> {
    if (this.closedWith) throw this.closedWith
    const ms = opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000
    try {
      return (await this.rpc.timeout(ms).request(method, params)) as ResultOf<M>
    } catch (err) {
      // Re-read: the connection may have closed while the call was pending.
      const closed = this.closedWith as Error | undefined
      if (closed) throw closed
      if (err instanceof JSONRPCErrorException) {
        if (err.code === 0 && err.message === 'Request timeout') throw new CallTimeoutError(method, ms)
        throw new RpcError(err.code, err.message, err.data)
      }
      throw err
    }
  }

  /**
   * Subscribes to daemon events (all topics when `topics` is empty or absent); `fn` gets
   * only the topics it asked for. Returns an unsubscribe for the local listener.
   */
  async subscribe<T extends EventTopic = EventTopic>(
    topics: readonly T[] | undefined,
    fn: (e: EventOf<T>) => void,
  ): Promise<() => void> {
    const wanted: readonly string[] | undefined = topics && topics.length ? topics : undefined
    const listener = (e: DaemonEvent): void => {
      if (!wanted || wanted.includes(e.type)) fn(e as EventOf<T>)
    }
    this.listeners.add(listener)
    await this.call('events.subscribe', { topics: topics ? [...topics] : undefined })
    return () => this.listeners.delete(listener)
  }

  onClose(fn: (err?: Error) => void): void {
    this.closeListeners.add(fn)
  }

  get closed(): boolean {
    return this.closedWith !== undefined
  }

  close(): void {
    this.socket.end()
    this.socket.destroy()
  }
}

/** One call on a short-lived connection: for CLI commands. */
export async function callOnce<M extends MethodName>(
  opts: ConnectOptions,
  method: M,
  params: ParamsOf<M>,
  callOpts?: CallOptions,
): Promise<ResultOf<M>> {
  const client = await RpcClient.connect(opts)
  try {
    return await client.call(method, params, callOpts)
  } finally {
    client.close()
  }
}
