/**
 * Account changes from the CLI while no daemon runs: applied under the store's
 * lock by the daemon binary in one-shot mode, never by the CLI opening the file.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger, systemClock } from '../../daemon/deps.js'
import { AccountStore } from '../../daemon/store/store.js'
import { mintTokens } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon } from '../helpers/daemon.js'
import { json, killStrayClis, runCli } from './run.js'

const dirs = makeDirs()
// A machine with a store folder of its own: with an explicit socket and none, the CLI would take the
// socket for another machine's daemon and change nothing here.
mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
afterAll(() => {
  killStrayClis()
  cleanup(dirs)
})

const tokens = (n: number) => ({
  ...mintTokens({ email: `u${n}@example.com`, accountId: `acc-${n}`, userId: `user-${n}` }),
  refreshToken: `rt_offline_${n}_0123456789abcdef`,
})

describe('CLI account changes with no daemon running', () => {
  it('add-tokens, tag, disable and remove change the store directly and say so', async () => {
    const added = await runCli(['add-tokens', '--json'], { env: dirs.env, input: JSON.stringify(tokens(1)) })
    expect(added.code, added.stderr).toBe(0)
    expect(json<{ alias: string }>(added).alias).toBe('u1')
    expect(added.stderr).toContain('no daemon is running')
    await runCli(['add-tokens'], { env: dirs.env, input: JSON.stringify(tokens(2)) })
    expect((await runCli(['tag', 'u1', 'work', '--notes', 'main seat'], { env: dirs.env })).code).toBe(0)
    expect((await runCli(['disable', 'u2'], { env: dirs.env })).code).toBe(0)
    const stored = JSON.parse(readFileSync(dirs.storeFile, 'utf8')) as {
      accounts: Record<string, { tags?: string[]; enabled?: boolean }>
    }
    expect(stored.accounts.u1.tags).toEqual(['work'])
    expect(stored.accounts.u2.enabled).toBe(false)
    // The daemon's own rules hold here too: the last enabled account stays enabled.
    const refused = await runCli(['disable', 'u1', '--json'], { env: dirs.env })
    expect(refused.code).toBe(1)
    expect(json<{ error: { name: string } }>(refused).error.name).toBe('CONFLICT')
    expect((await runCli(['remove', 'u2'], { env: dirs.env })).code).toBe(0)
    // Reading still needs the daemon.
    expect((await runCli(['list'], { env: dirs.env })).code).toBe(3)
  }, 60_000)

  it('a change while another process (not an answering daemon) holds the store lock fails, naming it', async () => {
    const holder = await AccountStore.open({ file: dirs.storeFile, logger: silentLogger, clock: systemClock })
    try {
      const r = await runCli(['add-tokens'], { env: dirs.env, input: JSON.stringify(tokens(3)) })
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`pid ${process.pid}`)
    } finally {
      await holder.close()
    }
  }, 30_000)

  it('a daemon started afterwards serves what was written', async () => {
    const d = await startDaemon(dirs)
    try {
      const c = await d.connect()
      const { accounts } = await c.call('accounts.list', {})
      c.close()
      expect(accounts.map((a) => a.alias)).toEqual(['u1'])
      expect(accounts[0].notes).toBe('main seat')
    } finally {
      await d.stop()
    }
  }, 30_000)
})
