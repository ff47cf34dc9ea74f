/**
 * Every connection is bounded (docs/architecture.md, "Resource bounds"): a
 * client that stops reading, floods calls, sends huge batches, asks for huge
 * answers, subscribes over and over, idles, leaves frames unfinished or opens
 * too many connections cannot make the daemon hold more than the limits say.
 * In-process server, small limits, a manual clock for the timeouts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../client/rpc/client.js'
import { RpcError } from '../../protocol/errors.js'
import { silentLogger, systemClock, type Clock, type Logger } from '../../daemon/deps.js'
import { EventBus } from '../../daemon/events.js'
import { eventHandlers } from '../../daemon/handlers/events.js'
import type { Components } from '../../daemon/handlers/context.js'
import type { MethodName } from '../../protocol/methods.js'
import { createDispatcher, type HandlersFor } from '../../daemon/server/dispatch.js'
import type { ServerLimits } from '../../daemon/server/limits.js'
import { SocketServer } from '../../daemon/server/socket-server.js'
import { FakeClock, flush } from '../helpers/clock.js'
import { RawConn, until, within } from './raw.js'

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

async function serve<K extends MethodName>(
  handlers: HandlersFor<K>,
  limits: Partial<ServerLimits> = {},
  opts: { clock?: Clock; logger?: Logger } = {},
): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'oma-bounds-'))
  const path = join(dir, 's.sock')
  const logger = opts.logger ?? silentLogger
  server = new SocketServer({ path, dispatcher: createDispatcher(handlers, logger), logger, limits, clock: opts.clock })
  await server.listen()
  return path
}

async function open(path: string): Promise<RawConn> {
  const c = await RawConn.open(path)
  conns.push(c)
  return c
}

async function rawSocket(path: string): Promise<Socket> {
  const s = connect(path)
  sockets.push(s)
  s.on('error', () => {})
  await new Promise((r) => s.once('connect', r))
  return s
}

const req = (id: number, method = 'daemon.status'): string => JSON.stringify({ jsonrpc: '2.0', id, method }) + '\n'

/** Polls until `read()` stops changing; for counters moved by socket I/O, never asserted on time. */
async function settled(read: () => number): Promise<number> {
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

describe('socket server bounds', () => {
  it('stops reading while a client leaves its answers unread, and answers everything once it reads', async () => {
    let handled = 0
    const blob = 'x'.repeat(10_000)
    const path = await serve({
      'daemon.status': () => {
        handled++
        return { blob } as never
      },
    })
    const s = await rawSocket(path)
    s.pause()
    const total = 5000
    let payload = ''
    for (let i = 1; i <= total; i++) payload += req(i)
    s.write(payload)
    // Unbounded, the daemon would run all 5000 calls and hold ~50 MB of answers.
    const ran = await settled(() => handled)
    expect(ran).toBeLessThan(500)
    const ids = new Set<number>()
    let buf = ''
    s.setEncoding('utf8')
    s.on('data', (chunk: string) => {
      buf += chunk
      for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
        ids.add((JSON.parse(buf.slice(0, i)) as { id: number }).id)
        buf = buf.slice(i + 1)
      }
    })
    s.resume()
    await until(() => ids.size === total, 'every answer once the client reads', 30_000)
    expect(handled).toBe(total)
  })

  it('runs at most maxInFlight calls of one connection at once, batch entries included', async () => {
    let running = 0
    let peak = 0
    const gate: (() => void)[] = []
    const path = await serve({
      'accounts.list': async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise<void>((r) => gate.push(r))
        running--
        return { accounts: [] }
      },
    })
    const c = await open(path)
    const answers: Promise<unknown>[] = []
    for (let i = 0; i < 100; i++) answers.push(c.request('accounts.list', {}))
    const batch = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: `b${i}`, method: 'accounts.list' }))
    c.write(JSON.stringify(batch) + '\n')
    await until(() => running === 64, '64 calls running')
    expect(await settled(() => running)).toBe(64)
    while (answers.length < 300) {
      gate.splice(0).forEach((r) => r())
      await flush()
      if (running === 0 && gate.length === 0) break
    }
    await Promise.all(answers)
    const batchAnswer = await c.next()
    expect(Array.isArray(batchAnswer)).toBe(true)
    expect(peak).toBe(64)
  })

  it('refuses a batch of more than 100 calls whole, without running any of them', async () => {
    let ran = 0
    const path = await serve({
      'daemon.status': () => {
        ran++
        return {} as never
      },
    })
    const c = await open(path)
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'daemon.status' }))
    c.write(JSON.stringify(batch(101)) + '\n')
    const refused = await c.next()
    expect(refused).toMatchObject({ id: null, error: { code: -32600, data: { maxBatch: 100 } } })
    expect(ran).toBe(0)
    c.write(JSON.stringify(batch(100)) + '\n')
    const ok = (await c.next()) as unknown as unknown[]
    expect(ok).toHaveLength(100)
    expect(ran).toBe(100)
  })

  it('turns an answer over 1 MiB into an error answer, and the connection stays usable', async () => {
    const path = await serve({
      'logs.tail': ({ lines }) => ({ lines: Array.from({ length: lines ?? 1 }, () => 'y'.repeat(20_000)) }) as never,
    })
    const c = await open(path)
    const big = await c.request('logs.tail', { lines: 100 })
    expect(big.error).toMatchObject({ code: -32603, data: { maxAnswerBytes: 1024 * 1024 } })
    // A batch of answers each small but together over the limit: every entry says so.
    const batch = Array.from({ length: 60 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'logs.tail',
      params: { lines: 1 },
    }))
    c.write(JSON.stringify(batch) + '\n')
    const answers = (await c.next()) as unknown as { id: number; error?: { code: number } }[]
    expect(answers).toHaveLength(60)
    expect(answers.every((a) => a.error?.code === -32603)).toBe(true)
    const small = await c.request('logs.tail', { lines: 2 })
    expect((small.result as { lines: string[] }).lines).toHaveLength(2)
  })

  it('keeps one subscription per connection, however often it subscribes', async () => {
    const bus = new EventBus(systemClock)
    const path = await serve(eventHandlers({ bus } as unknown as Components))
    const c = await open(path)
    const batch = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'events.subscribe' }))
    c.write(JSON.stringify(batch) + '\n')
    await c.next()
    await c.request('events.subscribe', { topics: ['store.reloaded'] })
    expect(bus.size).toBe(1)
    bus.emit('store.reloaded', {})
    expect(await c.next()).toMatchObject({ method: 'event', params: { type: 'store.reloaded' } })
    c.destroy()
    await until(() => bus.size === 0, 'the subscription to end with its connection')
  })

  it('closes idle connections, but not one with a subscription or a call in flight', async () => {
    const clock = new FakeClock()
    const bus = new EventBus(clock)
    let release: (() => void) | undefined
    const path = await serve(
      {
        ...eventHandlers({ bus } as unknown as Components),
        'accounts.list': () => new Promise((r) => (release = () => r({ accounts: [] }))),
      },
      { idleMs: 60_000 },
      { clock },
    )
    const idle = await open(path)
    const subscriber = await open(path)
    await subscriber.request('events.subscribe', {})
    const busy = await open(path)
    const pending = busy.request('accounts.list', {})
    await until(() => release !== undefined, 'the slow call to start')
    await clock.advance(59_000)
    expect(idle.isClosed).toBe(false)
    await clock.advance(2_000)
    await within(idle.closed, 5000, 'the idle connection to be closed')
    expect(subscriber.isClosed).toBe(false)
    expect(busy.isClosed).toBe(false)
    release?.()
    expect((await pending).result).toEqual({ accounts: [] })
  })

  it('counts idle time from the last call, not from when the connection opened', async () => {
    const clock = new FakeClock()
    const path = await serve({ 'daemon.status': () => ({}) as never }, { idleMs: 60_000 }, { clock })
    const c = await open(path)
    await clock.advance(40_000)
    expect((await c.request('daemon.status', {})).result).toEqual({})
    await clock.advance(40_000)
    expect(c.isClosed).toBe(false)
    await clock.advance(21_000)
    await within(c.closed, 5000, 'the connection to be closed 60 s after its last call')
  })

  it('closes a connection that leaves a frame unfinished, saying why', async () => {
    const clock = new FakeClock()
    const path = await serve({}, { partialFrameMs: 10_000 }, { clock })
    const c = await open(path)
    c.write('{"jsonrpc":"2.0","id":1,"method":"daemon.st')
    await until(() => server?.partialBytes === 43, 'the partial frame to be held')
    await clock.advance(10_001)
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } })
    await within(c.closed, 5000, 'the connection to be closed')
    expect(server?.partialBytes).toBe(0)
  })

  it('caps unterminated input across all connections', async () => {
    const path = await serve({ 'daemon.status': () => ({}) as never }, { maxPartialBytesTotal: 100_000 })
    const a = await open(path)
    const b = await open(path)
    a.write('x'.repeat(60_000))
    await until(() => server?.partialBytes === 60_000, 'the first partial frame to be held')
    b.write('y'.repeat(60_000))
    expect(await b.next()).toMatchObject({ id: null, error: { code: -32600 } })
    await within(b.closed, 5000, 'the connection over the budget to be closed')
    expect(a.isClosed).toBe(false)
    expect(server?.partialBytes).toBe(60_000)
  })

  it('closes a connection that never drains its answers', async () => {
    const clock = new FakeClock()
    const blob = 'z'.repeat(100_000)
    const path = await serve({ 'daemon.status': () => ({ blob }) as never }, { drainTimeoutMs: 30_000 }, { clock })
    const s = await rawSocket(path)
    s.pause()
    let payload = ''
    for (let i = 1; i <= 100; i++) payload += req(i)
    s.write(payload)
    await settled(() => server?.connections ?? 0)
    expect(server?.connections).toBe(1)
    await clock.advance(30_001)
    await until(() => server?.connections === 0, 'the non-draining connection to be closed')
  })

  it('refuses connections over the cap with a clear error and a log line, serving the others', async () => {
    const warnings: string[] = []
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) }
    const path = await serve(
      { 'daemon.status': () => ({ protocolVersion: 0 }) as never },
      { maxConnections: 3 },
      { logger },
    )
    const first = [await open(path), await open(path), await open(path)]
    await until(() => server?.connections === 3, 'three connections')
    const refused = await RpcClient.connect({ socketPath: path, skipVersionCheck: false }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RpcError)
    expect((refused as RpcError).message).toMatch(/already serves 3 connections/)
    expect((refused as RpcError).data).toMatchObject({ reason: 'too_many_connections' })
    expect(warnings.some((w) => /refusing connections: 3 are open/.test(w))).toBe(true)
    for (const c of first) expect((await c.request('daemon.status', {})).result).toBeDefined()
    expect(server?.refusedConnections).toBe(1)
  })

  it('answers a client that half-closes right after its requests, then ends', async () => {
    const path = await serve({
      'accounts.list': async () => {
        await new Promise((r) => setTimeout(r, 50))
        return { accounts: [] }
      },
    })
    const s = await rawSocket(path)
    let text = ''
    s.setEncoding('utf8')
    s.on('data', (d: string) => (text += d))
    const ended = new Promise((r) => s.once('end', r))
    s.end(req(1, 'accounts.list') + req(2, 'accounts.list'))
    await within(ended, 5000, 'the daemon to end its side after the answers')
    const ids = text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number; result?: unknown }).id)
    expect(ids.sort()).toEqual([1, 2])
  })
})
