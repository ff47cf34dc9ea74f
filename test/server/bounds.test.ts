/**
 * Every connection is bounded (docs/architecture.md, "Resource bounds"): a
 * client that stops reading, floods calls, sends huge batches, asks for huge
 * answers, subscribes over and over, idles, leaves frames unfinished or opens
 * too many connections cannot make the daemon hold more than the limits say.
 * In-process server, small limits, a manual clock for the timeouts. This file: reading,
 * calls in flight, batches, answers, subscriptions; bounds-connections.test.ts: idle,
 * unfinished and undrained connections, the connection cap.
 */
import { describe, expect, it } from 'vitest'
import { EventBus } from '../../daemon/events.js'
import { eventHandlers } from '../../daemon/handlers/events.js'
import type { Components } from '../../daemon/handlers/context.js'
import { systemClock } from '../../daemon/deps.js'
import { flush } from '../helpers/clock.js'
import { boundsHarness, req, settled } from './bounds-harness.js'
import { until } from './raw.js'

const h = boundsHarness()
const { serve, open, rawSocket } = h

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
})
