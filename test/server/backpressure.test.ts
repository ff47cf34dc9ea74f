import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../daemon/deps.js'
import { createDispatcher } from '../../daemon/server/dispatch.js'
import { SocketServer } from '../../daemon/server/socket-server.js'

describe('a subscriber that stops reading', () => {
  let dir: string
  let server: SocketServer | undefined
  afterEach(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is dropped once its unread events pass the limit, instead of growing the daemon', async () => {
    dir = mkdtempSync(join(tmpdir(), 'oma-bp-'))
    const path = join(dir, 's.sock')
    const payload = 'x'.repeat(10_000)
    const dispatcher = createDispatcher(
      {
        'events.subscribe': (_p, ctx) => {
          // 20 MB of events to a client that reads none of them.
          for (let i = 0; i < 2000; i++) ctx.notify('event', { type: 'account.updated', at: i, payload })
          return { subscribed: ['*'] }
        },
      },
      silentLogger,
    )
    server = new SocketServer({ path, dispatcher, logger: silentLogger, maxBacklogBytes: 256 * 1024 })
    await server.listen()
    const sock = connect(path)
    await new Promise((r) => sock.once('connect', r))
    sock.pause() // never read
    sock.on('error', () => {})
    sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'events.subscribe', params: {} }) + '\n')
    // The client never reads, so it cannot see the close: watch the server side.
    const deadline = Date.now() + 10_000
    while (server.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(server.connections).toBe(0)
    sock.destroy()
  })
})
