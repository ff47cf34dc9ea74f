import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, makeDirs } from '../helpers/daemon.js'
import { ALERT_TOPICS } from '../../protocol/alerts.js'
import { EventBus } from '../../daemon/events.js'
import type { AccountStore } from '../../daemon/store/store.js'
import { AlertMonitor } from '../../daemon/usage/alerts.js'
import { FakeClock } from '../helpers/clock.js'
import { account, memStore } from '../rotation/support.js'
import { limitHeaders, startUsageApp, type UsageApp } from './support.js'

let app: UsageApp | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const HOUR = 3_600_000

/** An event as a test reads it: any field, by name. */
type Seen = Record<string, unknown> & { type: string }

async function withAlerts(): Promise<{ app: UsageApp; events: Seen[]; sync: () => Promise<unknown> }> {
  app = await startUsageApp()
  const events: Seen[] = []
  await app.t.client.subscribe([...ALERT_TOPICS], (e) => events.push({ ...e }))
  // Notifications ride the same connection ahead of later answers: one round trip delivers them.
  return { app, events, sync: () => app!.t.client.call('daemon.status', {}) }
}

function limited(resetsAtMs: number): string {
  return JSON.stringify({
    error: { type: 'usage_limit_reached', message: 'limit', resets_at: Math.floor(resetsAtMs / 1000) },
  })
}

describe('alerts', () => {
  it('limits.threshold once per crossing of low and of critical, with hysteresis', async () => {
    const { app, events, sync } = await withAlerts()
    await app.add('a', 1)
    await app.add('b', 2)
    const report = (used: number) =>
      app.t.client.call('token.report', { alias: 'a', status: 200, headers: limitHeaders(used) })
    for (const used of [50, 75, 76, 77, 71, 69, 71, 92, 93, 95]) await report(used)
    await sync()
    expect(events.map((e) => [e.type, e.level, e.alias])).toEqual([
      ['limits.threshold', 'low', 'a'],
      ['limits.threshold', 'critical', 'a'],
    ])
    expect(events[0]).toMatchObject({ remainingPercent: 25, threshold: 30, window: 'fiveHour' })
    expect(events[1]).toMatchObject({ remainingPercent: 8, threshold: 10 })
    // The window starts over: back to normal silently, and the next crossing alerts again.
    await report(5)
    await report(80)
    await sync()
    expect(events.map((e) => e.level)).toEqual(['low', 'critical', 'low'])
  })

  it('limits.reset when the limit lifts by itself, and pool.exhausted once while no account can serve', async () => {
    const { app, events, sync } = await withAlerts()
    await app.add('a', 1)
    await app.add('b', 2)
    const until = app.clock.now() + HOUR
    await app.t.client.call('token.report', { alias: 'a', status: 429, body: limited(until) })
    await app.t.client.call('token.report', { alias: 'a', status: 429, body: limited(until) })
    await sync()
    expect(events).toEqual([])
    await app.t.client.call('token.report', { alias: 'b', status: 429, body: limited(until + HOUR) })
    await app.t.client.call('token.report', { alias: 'b', status: 429, body: limited(until + HOUR) })
    await sync()
    expect(events.map((e) => e.type)).toEqual(['pool.exhausted'])
    expect(events[0]).toMatchObject({ accounts: 2, nextResetAt: until })
    await app.clock.advance(HOUR + 1000)
    await sync()
    expect(events.map((e) => [e.type, e.alias])).toEqual([
      ['pool.exhausted', undefined],
      ['limits.reset', 'a'],
    ])
    // Both out again: the pool alerts again (a new crossing).
    await app.t.client.call('token.report', { alias: 'a', status: 429, body: limited(app.clock.now() + HOUR) })
    await app.clock.advance(HOUR + 1000)
    await sync()
    expect(events.map((e) => [e.type, e.alias])).toEqual([
      ['pool.exhausted', undefined],
      ['limits.reset', 'a'],
      ['pool.exhausted', undefined],
      ['limits.reset', 'b'],
      ['limits.reset', 'a'],
    ])
  })

  it('account.needsLogin once when an account becomes auth_invalid', () => {
    const clock = new FakeClock()
    const store = memStore({ a: account(), b: account() })
    const bus = new EventBus(clock)
    const seen: Seen[] = []
    bus.subscribe([...ALERT_TOPICS], (e) => seen.push({ ...e }))
    const monitor = new AlertMonitor({ store: store as unknown as AccountStore, bus, clock })
    monitor.start()
    store.data.accounts.a.authInvalid = true
    store.data.accounts.a.authInvalidReason = 'refresh token revoked'
    bus.emit('account.updated', { alias: 'a', change: 'auth_invalid' })
    bus.emit('account.updated', { alias: 'a', change: 'auth_invalid' })
    bus.emit('token.refreshed', { alias: 'a', expiresAt: clock.now() + 3_600_000, reason: 'manual' })
    expect(seen.map((e) => [e.type, e.alias, e.reason])).toEqual([['account.needsLogin', 'a', 'refresh token revoked']])
    // Signed in again, then lost again: a second crossing.
    store.data.accounts.a.authInvalid = false
    bus.emit('account.updated', { alias: 'a', change: 'updated' })
    store.data.accounts.a.authInvalid = true
    bus.emit('account.updated', { alias: 'a', change: 'auth_invalid' })
    store.data.accounts.b.enabled = false
    bus.emit('account.updated', { alias: 'b', change: 'disabled' })
    expect(seen.map((e) => e.type)).toEqual(['account.needsLogin', 'account.needsLogin', 'pool.exhausted'])
    monitor.stop()
  })

  it('with the notify setting the daemon raises each alert once; a missing notifier is said once', async () => {
    const calls: { command: string; args: string[] }[] = []
    let installed = true
    const dirs = makeDirs()
    app = await startUsageApp({
      dirs,
      platform: 'linux',
      notifySpawn: (command, args) => {
        calls.push({ command, args })
        return Promise.resolve(installed)
      },
    })
    await app.add('a', 1)
    await app.add('b', 2)
    const report = (alias: string, used: number) =>
      app!.t.client.call('token.report', { alias, status: 200, headers: limitHeaders(used) })
    await report('a', 75)
    expect(calls).toEqual([])
    await app.t.client.call('settings.update', { notify: true })
    await report('a', 80)
    await report('a', 95)
    await report('a', 96)
    expect(calls).toHaveLength(1)
    expect(calls[0].command).toBe('notify-send')
    expect(calls[0].args.slice(-2)).toEqual(['a: critically low', expect.stringContaining('a has 5 % left')])
    installed = false
    await report('b', 75)
    await report('b', 95)
    expect(calls).toHaveLength(2)
    // The log is complete once the daemon has stopped.
    await app.close()
    app = undefined
    const log = readFileSync(dirs.logFile, 'utf8')
    cleanup(dirs)
    expect(log.match(/notify-send is not installed/g)).toHaveLength(1)
  })
})
