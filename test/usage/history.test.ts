import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../client/rpc/client.js'
import { DAY_MS, HOUR_MS } from '../../daemon/usage/buckets.js'
import { usageFilePath } from '../../daemon/usage/file.js'
import { USAGE_WRITE_DELAY_MS } from '../../daemon/usage/history.js'
import { cleanup } from '../helpers/daemon.js'
import { limitHeaders, startUsageApp, type UsageApp } from './support.js'

let app: UsageApp | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const usage = (i: number) => ({ inputTokens: 100 + i, outputTokens: 10 + i, cachedTokens: i, reasoningTokens: 2 * i })

describe('usage history', () => {
  it('sums many concurrent reports from several clients exactly', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await app.add('b', 2)
    const clients = await Promise.all([1, 2, 3, 4].map(() => RpcClient.connect({ socketPath: app!.t.dirs.socketPath })))
    const statuses = [200, 200, 200, 429, 401, 503, 400]
    const expected = { requests: 0, input: 0, output: 0, cached: 0, reasoning: 0, s2xx: 0, s5xx: 0, other: 0 }
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < 200; i++) {
      const status = i % 7 === 3 || i % 7 === 4 ? 200 : statuses[i % 7]
      const withUsage = i % 3 !== 0
      if (i % 2 === 0) {
        expected.requests++
        if (withUsage) {
          const u = usage(i)
          expected.input += u.inputTokens
          expected.output += u.outputTokens
          expected.cached += u.cachedTokens
          expected.reasoning += u.reasoningTokens
        }
        if (status === 200) expected.s2xx++
        else if (status === 503) expected.s5xx++
        else expected.other++
      }
      calls.push(
        clients[i % 4].call('token.report', {
          alias: i % 2 === 0 ? 'a' : 'b',
          status,
          ...(status >= 400 ? { body: '{"error":{"message":"x"}}' } : {}),
          ...(withUsage ? { usage: usage(i) } : {}),
        }),
      )
    }
    await Promise.all(calls)
    for (const c of clients) c.close()
    const got = await app.t.client.call('usage.get', { alias: 'a', since: 0 })
    const t = got.accounts[0].totals
    expect(got.accounts.map((x) => x.alias)).toEqual(['a'])
    expect(t).toMatchObject({
      requests: expected.requests,
      inputTokens: expected.input,
      outputTokens: expected.output,
      cachedTokens: expected.cached,
      reasoningTokens: expected.reasoning,
    })
    expect(t.status).toEqual({ '2xx': expected.s2xx, '429': 0, '401': 0, '5xx': expected.s5xx, other: expected.other })
    // A 5xx moves the client on to another account: a failover.
    expect(t.failovers).toBe(expected.s5xx)
    const all = await app.t.client.call('usage.get', { since: 0 })
    expect(all.pool.totals.requests).toBe(200)
  })

  it('counts 429 and 401 by class and failovers on the account left behind', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await app.add('b', 2)
    const body = JSON.stringify({ error: { code: 'usage_limit_reached', message: 'limit' } })
    await app.t.client.call('token.report', { alias: 'a', status: 429, body })
    const got = await app.t.client.call('usage.get', { alias: 'a', since: 0 })
    expect(got.accounts[0].totals.status['429']).toBe(1)
    expect(got.accounts[0].totals.failovers).toBe(1)
  })

  it('starts a new bucket each hour, adds hours into days, folds old hours and drops what is past 90 days', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    const start = app.clock.now()
    const report = () => app!.t.client.call('token.report', { alias: 'a', status: 200, usage: usage(0) })
    await report()
    await report()
    await app.clock.advance(HOUR_MS)
    await report()
    let got = await app.t.client.call('usage.get', { since: 0, bucket: 'hour' })
    expect(got.accounts[0].buckets.map((b) => [b.start, b.hours, b.requests])).toEqual([
      [Math.floor(start / HOUR_MS) * HOUR_MS, 1, 2],
      [Math.floor(start / HOUR_MS) * HOUR_MS + HOUR_MS, 1, 1],
    ])
    got = await app.t.client.call('usage.get', { since: 0, bucket: 'day' })
    expect(got.accounts[0].buckets.map((b) => [b.start, b.hours, b.requests])).toEqual([
      [Math.floor(start / DAY_MS) * DAY_MS, 24, 3],
    ])
    // 20 days on: the first day's hours are folded into a day bucket, kept at hour resolution too.
    await app.clock.advance(20 * DAY_MS)
    await report()
    await app.usageFlush()
    got = await app.t.client.call('usage.get', { since: 0, bucket: 'hour' })
    expect(got.accounts[0].buckets.map((b) => [b.hours, b.requests])).toEqual([
      [24, 3],
      [1, 1],
    ])
    expect(got.accounts[0].totals.requests).toBe(4)
    // 80 more days: the first day is past 90 days and gone; the day-20 hour is a day now.
    await app.clock.advance(80 * DAY_MS)
    await app.usageFlush()
    got = await app.t.client.call('usage.get', { since: 0, bucket: 'hour' })
    expect(got.accounts[0].buckets.map((b) => [b.hours, b.requests])).toEqual([[24, 1]])
  })

  it('writes coalesced, a few seconds after the first change, and the file holds every report', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    const file = usageFilePath(app.t.dirs.storeFile)
    for (let i = 0; i < 5; i++) await app.t.client.call('token.report', { alias: 'a', status: 200, usage: usage(i) })
    expect(() => readFileSync(file)).toThrow()
    await app.clock.advance(USAGE_WRITE_DELAY_MS)
    await app.usageFlush()
    const stored = JSON.parse(readFileSync(file, 'utf8')) as {
      accounts: Record<string, { hours: { requests: number }[] }>
    }
    expect(stored.accounts.a.hours[0].requests).toBe(5)
  })

  it('removing an account removes its history; adding the same identity again starts from nothing', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await app.add('b', 2)
    await app.t.client.call('token.report', { alias: 'a', status: 200, usage: usage(1) })
    await app.t.client.call('accounts.remove', { alias: 'a' })
    await app.add('a', 1)
    const got = await app.t.client.call('usage.get', { alias: 'a', since: 0 })
    expect(got.accounts[0].totals.requests).toBe(0)
    expect(got.accounts[0].buckets).toEqual([])
  })

  it('a removal whose history write was lost still drops that history at the next start', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await app.add('b', 2)
    await app.t.client.call('token.report', { alias: 'a', status: 200, usage: usage(1) })
    await app.usageFlush()
    const file = usageFilePath(app.t.dirs.storeFile)
    const before = readFileSync(file)
    await app.t.client.call('accounts.remove', { alias: 'a' })
    await app.clock.advance(1000)
    await app.add('a', 1)
    const dirs = app.t.dirs
    const clock = app.clock
    await app.t.app.stop()
    app.t.client.close()
    // The state a crash right after the removal leaves: the old history file.
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, before)
    app = await startUsageApp({ dirs, clock })
    const got = await app.t.client.call('usage.get', { alias: 'a', since: 0 })
    expect(got.accounts[0].totals.requests).toBe(0)
    await app.close()
    app = undefined
    cleanup(dirs)
  })

  it('answers ACCOUNT_NOT_FOUND for an unknown alias and rejects bad params', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await expect(app.t.client.call('usage.get', { alias: 'nope' })).rejects.toMatchObject({ code: -32001 })
    await expect(
      app.t.client.call('token.report', {
        alias: 'a',
        status: 200,
        usage: { inputTokens: -1, outputTokens: 1 },
      }),
    ).rejects.toMatchObject({ code: -32602 })
    await expect(
      app.t.client.call('token.report', {
        alias: 'a',
        status: 200,
        usage: { inputTokens: 1, outputTokens: 1, extra: 1 } as never,
      }),
    ).rejects.toMatchObject({ code: -32602 })
  })

  it('an answer that would not fit one frame keeps the latest buckets per account and says so', async () => {
    app = await startUsageApp()
    for (let n = 0; n < 10; n++) await app.add(`acc${n}`, n + 1)
    for (let h = 0; h < 301; h++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, n) => app!.t.client.call('token.report', { alias: `acc${n}`, status: 200 })),
      )
      await app.clock.advance(HOUR_MS)
    }
    const got = await app.t.client.call('usage.get', { since: 0, bucket: 'hour' })
    expect(got.bucketsTruncated).toBe(true)
    expect(got.accounts.every((a) => a.buckets.length === 300 && a.totals.requests === 301)).toBe(true)
    const byDay = await app.t.client.call('usage.get', { since: 0, bucket: 'day' })
    expect(byDay.bucketsTruncated).toBeUndefined()
  })

  it('a limits probe adds a reading to the hour without counting a request', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await app.t.client.call('token.report', { alias: 'a', status: 200, headers: limitHeaders(40) })
    await app.clock.advance(HOUR_MS)
    const now = app.clock.now()
    // What a probe leaves in the store, then the event it sends.
    await app.t.app.components.store.update((d) => {
      d.accounts.a.rateLimits = {
        fiveHour: { usedPercent: 60, windowMinutes: 300, resetAt: now + HOUR_MS, updatedAt: now },
      }
    })
    app.t.app.components.bus.emit('limits.updated', { alias: 'a', source: 'probe', ok: true, pending: 0 })
    const got = await app.t.client.call('usage.get', { since: 0 })
    expect(got.accounts[0].buckets.map((b) => [b.requests, b.fiveHourUsedPercent])).toEqual([
      [1, 40],
      [0, 60],
    ])
  })
})
