/**
 * After `kill -9` the socket file stays behind (nobody removed it) and so does
 * the store lock. The next daemon must see the socket is stale (connect
 * refused), replace it and serve — on the same paths, with the same store.
 * Slow by nature (~10 s): it waits out the dead daemon's lock going stale.
 */
import { existsSync, statSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { mintTokens } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon } from '../helpers/daemon.js'

const dirs = makeDirs()
const daemons: SpawnedDaemon[] = []

afterAll(async () => {
  for (const d of daemons) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL')
    await d.exited
  }
  cleanup(dirs)
})

describe('restart after a crash', () => {
  it('starts a new daemon on the stale socket a kill -9 left behind', async () => {
    const first = await startDaemon(dirs)
    daemons.push(first)
    const c1 = await first.connect()
    const { accessToken, idToken } = mintTokens({
      email: 'crash@example.com',
      accountId: 'acc-crash',
      userId: 'user-crash',
    })
    await c1.call('accounts.add', { accessToken, idToken, refreshToken: 'rt_crash_refresh_token_0123456789' })
    c1.close()

    first.proc.kill('SIGKILL')
    await first.exited
    expect(first.proc.signalCode).toBe('SIGKILL')
    // The crash left the socket file: a stale socket, not an absent one.
    expect(statSync(dirs.socketPath).isSocket()).toBe(true)

    const second = await startDaemon(dirs)
    daemons.push(second)
    const c2 = await second.connect()
    const status = await c2.call('daemon.status', {})
    expect(status.pid).toBe(second.proc.pid)
    expect(status.pid).not.toBe(first.proc.pid)
    expect((await c2.call('accounts.list', {})).accounts.map((a) => a.email)).toEqual(['crash@example.com'])
    expect(second.stderr()).toMatch(/stale socket/)
    expect(statSync(dirs.socketPath).mode & 0o777).toBe(0o600)
    c2.close()

    expect(await second.stop()).toBe(0)
    expect(existsSync(dirs.socketPath)).toBe(false)
  })
})
