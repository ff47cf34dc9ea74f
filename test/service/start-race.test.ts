/**
 * The start race: a daemon that starts while a one-shot change holds the
 * store lock waits for it (the pid file marks the one-shot) instead of exiting;
 * a one-shot refused because a daemon holds the lock makes the CLI ask that
 * daemon through the socket.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { changeThroughDaemonOrOneshot } from '../../client/cli/change.js'
import { callOneshot, ONESHOT_EXIT_LOCKED as CLIENT_LOCKED, OneshotLockedError } from '../../client/oneshot.js'
import { DaemonNotRunningError } from '../../client/rpc/errors.js'
import { silentLogger, systemClock } from '../../daemon/deps.js'
import { ONESHOT_EXIT_LOCKED } from '../../daemon/oneshot.js'
import { StoreLock } from '../../daemon/store/lock.js'
import { nodeFs } from '../../daemon/store/fs.js'
import { cleanup, makeDirs, spawnDaemonProcess, startDaemon, waitReady, type TestDirs } from '../helpers/daemon.js'
import { mintTokens } from '../fakes/jwt.js'
import { until } from '../server/raw.js'

const all: TestDirs[] = []
afterAll(() => all.forEach(cleanup))
const ctx = { fs: nodeFs, logger: silentLogger, clock: systemClock }

describe('a daemon starting while a one-shot holds the store', () => {
  it('waits for the one-shot to finish, then starts', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
    const oneshot = await StoreLock.acquire(dirs.storeFile, ctx, { oneshot: true })
    expect(readFileSync(`${dirs.storeFile}.pid`, 'utf8')).toBe(`${process.pid} oneshot\n`)
    const d = spawnDaemonProcess(dirs)
    try {
      await until(
        () => {
          try {
            return readFileSync(dirs.logFile, 'utf8').includes('held by a one-shot change')
          } catch {
            return false
          }
        },
        'the daemon to say it waits for the one-shot',
        20_000,
      )
      await oneshot.release()
      await waitReady(dirs.socketPath, d.exited, d.stderr)
    } finally {
      d.proc.kill('SIGTERM')
      await d.exited
    }
  }, 60_000)

  it('a daemon holding the lock still refuses a second daemon at once (it is no one-shot)', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    const first = await startDaemon(dirs)
    try {
      const second = spawnDaemonProcess(dirs)
      expect(await second.exited).toBe(1)
      expect(second.stderr()).toContain(`pid ${first.proc.pid}`)
    } finally {
      await first.stop()
    }
  }, 60_000)
})

describe('a one-shot refused because a daemon holds the store', () => {
  it('exits 75, which the client reads as "ask the daemon"', async () => {
    expect(CLIENT_LOCKED).toBe(ONESHOT_EXIT_LOCKED)
    const dirs = makeDirs()
    all.push(dirs)
    const d = await startDaemon(dirs)
    try {
      const t = {
        ...mintTokens({ email: 'x@example.com', accountId: 'a', userId: 'u' }),
        refreshToken: 'rt_x_0123456789abcdef',
      }
      const err = await callOneshot('accounts.add', t, dirs.env).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(OneshotLockedError)
    } finally {
      await d.stop()
    }
  }, 60_000)

  it("the CLI then retries through the socket and gets the daemon's answer", async () => {
    let socketCalls = 0
    const result = await changeThroughDaemonOrOneshot({
      viaSocket: () => {
        socketCalls++
        // Not answering yet the first two times: the daemon took the lock but is still starting.
        return socketCalls <= 2 ? Promise.reject(new DaemonNotRunningError('/s')) : Promise.resolve('from daemon')
      },
      viaOneshot: () => Promise.reject(new OneshotLockedError('held by pid 1')),
      noteDirect: () => {
        throw new Error('not a direct change')
      },
      sleep: () => Promise.resolve(),
    })
    expect(result).toBe('from daemon')
    expect(socketCalls).toBe(3)
  })

  it('and names the holder when nothing ever answers', async () => {
    let t = 0
    const err = await changeThroughDaemonOrOneshot({
      viaSocket: () => Promise.reject(new DaemonNotRunningError('/s')),
      viaOneshot: () => Promise.reject(new OneshotLockedError('held by pid 42')),
      noteDirect: () => {},
      sleep: () => Promise.resolve(),
      now: () => (t += 1000),
      retryMs: 3000,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OneshotLockedError)
    expect((err as Error).message).toContain('pid 42')
  })
})
