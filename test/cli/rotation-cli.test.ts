import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { tokensAt } from '../rotation/support.js'
import { killStrayClis, runCli, type CliResult } from './run.js'

/** The real CLI in a child process, against the in-process daemon. */
function cli(t: TestApp, ...args: string[]): Promise<CliResult> {
  return runCli(args, { env: { ...t.dirs.env, OPENCODE_MULTI_AUTH_SOCKET: t.dirs.socketPath } })
}

// Every CLI run starts a fresh node with tsx (~1 s): give the multi-step tests room.
const SLOW = 90_000

describe('CLI: strategy, status, use, settings', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ noKeepAlive: true })
    const clock = { now: () => Date.now() }
    await t.client.call('accounts.add', { ...tokensAt(clock, 1), alias: 'work' })
    await t.client.call('accounts.add', { ...tokensAt(clock, 2), alias: 'home' })
  })
  afterAll(async () => {
    killStrayClis()
    await t.close()
  })

  it(
    '`strategy least-used` then `status` prints least-used (the daemon’s answer, not a constant)',
    async () => {
      const set = await cli(t, 'strategy', 'least-used')
      expect(set.stderr).toBe('')
      expect(set.code).toBe(0)
      expect(set.stdout).toMatch(/strategy set to least-used/)
      const status = await cli(t, 'status')
      expect(status.code).toBe(0)
      expect(status.stdout).toMatch(/^Strategy: least-used$/m)
      expect(status.stdout).toMatch(/^Force: off$/m)
      expect(status.stdout).toMatch(/HEALTH/)
      expect((await cli(t, 'strategy')).stdout.trim()).toBe('least-used')
      expect((await t.client.call('daemon.status', {})).strategy).toBe('least-used')
    },
    SLOW,
  )

  it(
    '`strategy <unknown>` is a usage error (exit 2) that lists the choices',
    async () => {
      const r = await cli(t, 'strategy', 'fastest')
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/round-robin.*least-used/)
    },
    SLOW,
  )

  it(
    '`use home --for 2h` pins, status shows it, `use --clear` ends it; --json everywhere',
    async () => {
      const pin = await cli(t, 'use', 'home', '--for', '2h', '--json')
      expect(pin.code).toBe(0)
      const state = JSON.parse(pin.stdout) as { active: boolean; alias: string; until: number }
      expect(state).toMatchObject({ active: true, alias: 'home' })
      expect(state.until - Date.now()).toBeGreaterThan(2 * 3_600_000 - 60_000)
      expect(state.until - Date.now()).toBeLessThanOrEqual(2 * 3_600_000)
      const status = await cli(t, 'status', '--json')
      expect(JSON.parse(status.stdout)).toMatchObject({
        force: { active: true, alias: 'home' },
        order: [{ alias: 'home', health: 'ok' }],
      })
      expect((await cli(t, 'status')).stdout).toMatch(/^Force: home until /m)
      expect((await cli(t, 'use', '--clear')).stdout).toMatch(/^Force: off$/m)
      expect((await cli(t, 'use', 'home', '--for', 'soon')).code).toBe(2)
      expect((await cli(t, 'use')).code).toBe(2)
      const missing = await cli(t, 'use', 'nobody')
      expect(missing.code).toBe(1)
      expect(missing.stderr).toMatch(/no account with alias nobody/)
    },
    SLOW,
  )

  it(
    '`settings set` validates in the daemon and names the field; `preset` and `reset` work',
    async () => {
      const bad = await cli(t, 'settings', 'set', 'criticalThreshold=50')
      expect(bad.code).toBe(1)
      expect(bad.stderr).toMatch(/criticalThreshold: criticalThreshold must be less than lowThreshold/)
      expect((await cli(t, 'settings', 'set', 'nonsense')).code).toBe(2)
      const ok = await cli(
        t,
        'settings',
        'set',
        'accountWeights.work=0.7',
        'accountWeights.home=0.3',
        'idleRefreshMs=2d',
        '--json',
      )
      expect(ok.code).toBe(0)
      expect(JSON.parse(ok.stdout)).toMatchObject({
        accountWeights: { work: 0.7, home: 0.3 },
        idleRefreshMs: 172_800_000,
        preset: 'custom',
      })
      const preset = await cli(t, 'settings', 'preset', 'conservative')
      expect(preset.stdout).toMatch(/criticalThreshold\s+20%/)
      expect((await cli(t, 'settings', 'get', 'lowThreshold')).stdout.trim()).toBe('40')
      expect(JSON.parse((await cli(t, 'settings', '--json')).stdout)).toMatchObject({
        preset: 'conservative',
        lowThreshold: 40,
      })
      expect((await cli(t, 'settings', 'reset')).code).toBe(0)
      expect(await t.client.call('settings.get', {})).toMatchObject({
        preset: 'balanced',
        accountWeights: {},
        rotationStrategy: 'round-robin',
      })
    },
    SLOW,
  )
})
