/**
 * Connection bounds (docs/architecture.md, "Resource bounds"): idle connections, frames left
 * unfinished, answers never drained, too many connections. In-process server, small limits,
 * a manual clock for the timeouts; the per-call bounds are in bounds.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { RpcClient } from '../../client/rpc/client.js'
import { RpcError } from '../../protocol/errors.js'
import { EventBus } from '../../daemon/events.js'
import { eventHandlers } from '../../daemon/handlers/events.js'
import type { Components } from '../../daemon/handlers/context.js'
import { silentLogger } from '../../daemon/deps.js'
import { FakeClock } from '../helpers/clock.js'
import { boundsHarness, req, settled } from './bounds-harness.js'
import { until, within } from './raw.js'

const h = boundsHarness()
const { serve, open, rawSocket } = h

describe('socket server connection bounds', () => {
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
    await until(() => h.server?.partialBytes === 43, 'the partial frame to be held')
    await clock.advance(10_001)
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } })
    await within(c.closed, 5000, 'the connection to be closed')
    expect(h.server?.partialBytes).toBe(0)
  })

  it('caps unterminated input across all connections', async () => {
    const path = await serve({ 'daemon.status': () => ({}) as never }, { maxPartialBytesTotal: 100_000 })
    const a = await open(path)
    const b = await open(path)
    a.write('x'.repeat(60_000))
    await until(() => h.server?.partialBytes === 60_000, 'the first partial frame to be held')
    b.write('y'.repeat(60_000))
    expect(await b.next()).toMatchObject({ id: null, error: { code: -32600 } })
    await within(b.closed, 5000, 'the connection over the budget to be closed')
    expect(a.isClosed).toBe(false)
    expect(h.server?.partialBytes).toBe(60_000)
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
    await settled(() => h.server?.connections ?? 0)
    expect(h.server?.connections).toBe(1)
    await clock.advance(30_001)
    await until(() => h.server?.connections === 0, 'the non-draining connection to be closed')
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
    await until(() => h.server?.connections === 3, 'three connections')
    const refused = await RpcClient.connect({ socketPath: path, skipVersionCheck: false }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RpcError)
    expect((refused as RpcError).message).toMatch(/already serves 3 connections/)
    expect((refused as RpcError).data).toMatchObject({ reason: 'too_many_connections' })
    expect(warnings.some((w) => /refusing connections: 3 are open/.test(w))).toBe(true)
    for (const c of first) expect((await c.request('daemon.status', {})).result).toBeDefined()
    expect(h.server?.refusedConnections).toBe(1)
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
