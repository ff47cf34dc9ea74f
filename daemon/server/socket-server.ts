import { promises as fs } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import type { JSONRPCServer } from 'json-rpc-2.0'
import { encodeFrame, FrameTooLargeError, LineDecoder } from '../../protocol/framing.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Logger } from '../deps.js'
import { receiveLine, type CallContext } from './dispatch.js'
import { prepareSocketDir, probeSocket, SocketSetupError } from './socket-path.js'

/** Unread bytes a connection may pile up before it is dropped (events only: answers are bounded by calls). */
export const MAX_SUBSCRIBER_BACKLOG = 4 * 1024 * 1024

export interface SocketServerOptions {
  path: string
  dispatcher: JSONRPCServer<CallContext>
  logger: Logger
  maxBacklogBytes?: number
  /** How long shutdown waits for in-flight calls before closing connections. */
  drainMs?: number
  /** A listening socket handed over by the service manager (see listen-fds.ts); the path is then its name only. */
  inheritedFd?: number
}

/** Unix-socket NDJSON transport around the JSON-RPC dispatcher. */
export class SocketServer {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private inFlight = 0
  private drained: (() => void) | undefined

  constructor(private readonly opts: SocketServerOptions) {}

  async listen(): Promise<void> {
    const { path, logger } = this.opts
    if (this.opts.inheritedFd !== undefined) return this.adopt(this.opts.inheritedFd)
    await prepareSocketDir(path)
    const state = await probeSocket(path)
    if (state === 'live') throw new SocketSetupError(`a daemon is already answering on ${path}`)
    if (state === 'stale') {
      logger.warn('removing a stale socket left by a previous daemon', { path })
      await fs.rm(path, { force: true })
    }
    const server = createServer((socket) => this.accept(socket))
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

  private accept(socket: Socket): void {
    const { logger } = this.opts
    this.sockets.add(socket)
    const decoder = new LineDecoder()
    let closing = false
    const closers: (() => void)[] = []
    const send = (msg: unknown): void => {
      if (!socket.destroyed && socket.writable) socket.write(encodeFrame(msg))
    }
    const ctx: CallContext = {
      notify: (method, params) => {
        // A subscriber that stopped reading must not make the daemon buffer without end.
        if (socket.writableLength > (this.opts.maxBacklogBytes ?? MAX_SUBSCRIBER_BACKLOG)) {
          logger.warn('closing a subscriber that stopped reading its events', { backlogBytes: socket.writableLength })
          socket.destroy()
          return
        }
        send({ jsonrpc: '2.0', method, params })
      },
      onClose: (fn) => closers.push(fn),
    }
    socket.on('data', (chunk: Buffer) => {
      let lines: string[]
      // Nothing more is read from a connection we are closing for an oversized frame.
      if (closing) return
      try {
        lines = decoder.push(chunk)
      } catch (err) {
        if (!(err instanceof FrameTooLargeError)) throw err
        closing = true
        logger.warn('closing a connection that sent an oversized frame', { bytes: err.size })
        send({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.INVALID_REQUEST, message: err.message } })
        socket.end()
        socket.destroySoon()
        return
      }
      for (const line of lines) void this.handle(line, ctx, send)
    })
    socket.on('error', () => {
      // A client that vanishes mid-call is not our problem; 'close' cleans up.
    })
    socket.on('close', () => {
      this.sockets.delete(socket)
      for (const fn of closers) fn()
    })
  }

  private async handle(line: string, ctx: CallContext, send: (msg: unknown) => void): Promise<void> {
    this.inFlight++
    try {
      const response = await receiveLine(this.opts.dispatcher, line, ctx)
      if (response) send(response)
    } catch (err) {
      this.opts.logger.error('failed to dispatch a request', {
        error: err instanceof Error ? err.message : String(err),
      })
    } finally {
      this.inFlight--
      if (this.inFlight === 0) this.drained?.()
    }
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
    for (const s of this.sockets) s.end()
    const grace = setTimeout(() => {
      for (const s of this.sockets) s.destroy()
    }, 500)
    grace.unref()
    await closed
    clearTimeout(grace)
    // An inherited socket stays with the service manager, which starts us again on the next connection.
    if (this.opts.inheritedFd === undefined) await fs.rm(this.opts.path, { force: true })
  }
}
