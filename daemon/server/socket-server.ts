import { promises as fs } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import type { JSONRPCServer } from 'json-rpc-2.0'
import { encodeFrame } from '../../protocol/framing.js'
import { ErrorCode } from '../../protocol/errors.js'
import { systemClock, type Clock, type Logger } from '../deps.js'
import { Connection, type PartialBudget } from './connection.js'
import type { CallContext } from './dispatch.js'
import { DEFAULT_LIMITS, type ServerLimits } from './limits.js'
import { prepareSocketDir, probeSocket, removeStaleSocket, SocketSetupError } from './socket-path.js'

/** Unread event bytes a subscriber may pile up before it is dropped. */
export const MAX_SUBSCRIBER_BACKLOG = DEFAULT_LIMITS.maxEventBacklogBytes

/** Refused connections are logged at most this often (a flood must not flood the log). */
const REFUSAL_LOG_MS = 60_000

export interface SocketServerOptions {
  path: string
  dispatcher: JSONRPCServer<CallContext>
  logger: Logger
  clock?: Clock
  /** Overrides of the per-connection and server-wide bounds (tests use small ones). */
  limits?: Partial<ServerLimits>
  /** Old name of limits.maxEventBacklogBytes. */
  maxBacklogBytes?: number
  /** How long shutdown waits for in-flight calls before closing connections. */
  drainMs?: number
  /** A listening socket handed over by the service manager (see listen-fds.ts); the path is then its name only. */
  inheritedFd?: number
}

/** Unix-socket NDJSON transport around the JSON-RPC dispatcher. */
export class SocketServer {
  private server: Server | undefined
  private readonly sockets = new Map<Socket, Connection>()
  private inFlight = 0
  private drained: (() => void) | undefined
  private readonly limits: ServerLimits
  private readonly clock: Clock
  private readonly budget: PartialBudget
  private refused = 0
  private refusalLoggedAt = -Infinity

  constructor(private readonly opts: SocketServerOptions) {
    this.limits = {
      ...DEFAULT_LIMITS,
      ...(opts.maxBacklogBytes === undefined ? {} : { maxEventBacklogBytes: opts.maxBacklogBytes }),
      ...opts.limits,
    }
    this.clock = opts.clock ?? systemClock
    this.budget = { held: 0, max: this.limits.maxPartialBytesTotal }
  }

  async listen(): Promise<void> {
    const { path, logger } = this.opts
    if (this.opts.inheritedFd !== undefined) return this.adopt(this.opts.inheritedFd)
    await prepareSocketDir(path)
    const state = await probeSocket(path)
    if (state === 'live') throw new SocketSetupError(`a daemon is already answering on ${path}`)
    if (state === 'stale') {
      await removeStaleSocket(path)
      logger.warn('removed a stale socket left by a previous daemon', { path })
    }
    // Half-open: a client that ends its side after its requests still gets the answers.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket))
    this.server = server
    // umask keeps the socket private from the moment it exists; chmod makes sure.
    const oldMask = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(path, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } finally {
      process.umask(oldMask)
    }
    await fs.chmod(path, 0o600)
    server.on('error', (err) => logger.error('socket server error', { error: err.message }))
  }

  /** The service manager owns the socket file and its mode; we only accept on it. */
  private async adopt(fd: number): Promise<void> {
    const server = createServer((socket) => this.accept(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ fd }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (err) => this.opts.logger.error('socket server error', { error: err.message }))
  }

  get connections(): number {
    return this.sockets.size
  }

  /** Unterminated input held across all connections (bytes). */
  get partialBytes(): number {
    return this.budget.held
  }

  private accept(socket: Socket): void {
    if (this.sockets.size >= this.limits.maxConnections) return this.refuse(socket)
    const conn = new Connection(socket, {
      dispatcher: this.opts.dispatcher,
      logger: this.opts.logger,
      clock: this.clock,
      limits: this.limits,
      budget: this.budget,
      onCalls: (delta) => {
        this.inFlight += delta
        if (this.inFlight === 0) this.drained?.()
      },
    })
    this.sockets.set(socket, conn)
    socket.on('close', () => this.sockets.delete(socket))
  }

  /** Over the cap: the client is told why (one error line), the daemon logs it, nothing else changes. */
  private refuse(socket: Socket): void {
    const max = this.limits.maxConnections
    this.refused++
    const now = this.clock.now()
    if (now - this.refusalLoggedAt >= REFUSAL_LOG_MS) {
      this.refusalLoggedAt = now
      this.opts.logger.warn(`refusing connections: ${max} are open, the most the daemon serves at once`, {
        refusedSoFar: this.refused,
      })
    }
    socket.on('error', () => {})
    socket.end(
      encodeFrame({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: ErrorCode.INTERNAL_ERROR,
          message: `the daemon already serves ${max} connections, its limit; close some clients and try again`,
          data: { reason: 'too_many_connections', maxConnections: max },
        },
      }),
    )
    socket.destroySoon()
  }

  /** Connections refused over the cap since start. */
  get refusedConnections(): number {
    return this.refused
  }

  /** Stop accepting, let in-flight calls finish (bounded), close connections, remove the socket. */
  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve
        setTimeout(resolve, this.opts.drainMs ?? 5000).unref()
      })
    }
    for (const c of this.sockets.values()) c.end()
    const grace = setTimeout(() => {
      for (const s of this.sockets.keys()) s.destroy()
    }, 500)
    grace.unref()
    await closed
    clearTimeout(grace)
    // An inherited socket stays with the service manager, which starts us again on the next connection.
    if (this.opts.inheritedFd === undefined) await fs.rm(this.opts.path, { force: true })
  }
}
