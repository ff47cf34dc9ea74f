/**
 * The in-process socket server the bounds tests run: small limits, optional manual clock,
 * every socket and temp dir cleaned up after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { silentLogger, type Clock, type Logger } from '../../daemon/deps.js'
import type { MethodName } from '../../protocol/methods.js'
import { createDispatcher, type HandlersFor } from '../../daemon/server/dispatch.js'
import type { ServerLimits } from '../../daemon/server/limits.js'
import { SocketServer } from '../../daemon/server/socket-server.js'
import { RawConn } from './raw.js'

export interface BoundsHarness {
  readonly serve: <K extends MethodName>(
    handlers: HandlersFor<K>,
    limits?: Partial<ServerLimits>,
    opts?: { clock?: Clock; logger?: Logger },
  ) => Promise<string>
  readonly open: (path: string) => Promise<RawConn>
  readonly rawSocket: (path: string) => Promise<Socket>
  /** The server the last `serve` started. */
  readonly server: SocketServer | undefined
}

/** Call at the top of a test file: registers the cleanup with `afterEach`. */
export function boundsHarness(): BoundsHarness {
  let dir: string | undefined
  let server: SocketServer | undefined
  const sockets: Socket[] = []
  const conns: RawConn[] = []

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    for (const c of conns.splice(0)) c.destroy()
    await server?.close()
    server = undefined
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  return {
    get server() {
      return server
    },
    async serve(handlers, limits = {}, opts = {}) {
      dir = mkdtempSync(join(tmpdir(), 'oma-bounds-'))
      const path = join(dir, 's.sock')
      const logger = opts.logger ?? silentLogger
      server = new SocketServer({
        path,
        dispatcher: createDispatcher(handlers, logger),
        logger,
        limits,
        clock: opts.clock,
      })
      await server.listen()
      return path
    },
    async open(path) {
      const c = await RawConn.open(path)
      conns.push(c)
      return c
    },
    async rawSocket(path) {
      const s = connect(path)
      sockets.push(s)
      s.on('error', () => {})
      await new Promise((r) => s.once('connect', r))
      return s
    },
  }
}

export const req = (id: number, method = 'daemon.status'): string =>
  JSON.stringify({ jsonrpc: '2.0', id, method }) + '\n'

/** Polls until `read()` stops changing; for counters moved by socket I/O, never asserted on time. */
export async function settled(read: () => number): Promise<number> {
  let last = -1
  let same = 0
  while (same < 5) {
    await new Promise((r) => setTimeout(r, 40))
    const now = read()
    same = now === last ? same + 1 : 0
    last = now
  }
  return last
}
