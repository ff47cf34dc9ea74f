import { spawnSync } from 'node:child_process'
import { mkdir, readFile, rmdir, stat, utimes, writeFile } from 'node:fs/promises'
import { describe, expect, it, vi } from 'vitest'
import { systemClock } from '../../daemon/deps.js'
import { nodeFs } from '../../daemon/store/fs.js'
import { StoreLock } from '../../daemon/store/lock.js'
import { AccountStore, StoreLockedError } from '../../daemon/store/store.js'
import { withStoreLock } from '../../daemon/store/with-lock.js'
import { FakeClock } from '../helpers/clock.js'
import { account, names, open, readJson, RecordingLogger, tempStore } from './helpers.js'

function openRaw(file: string): Promise<AccountStore> {
  return AccountStore.open({ file, logger: new RecordingLogger(), clock: new FakeClock() })
}

describe('AccountStore: the store lock', () => {
  it('refuses a second open while the first holds the lock, naming its pid; works once closed', async () => {
    const { dir, file } = await tempStore()
    const { store } = await open({ file })
    expect(await readFile(`${file}.pid`, 'utf8')).toBe(`${process.pid}\n`)

    const err = await openRaw(file).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreLockedError)
    expect((err as StoreLockedError).pid).toBe(process.pid)
    expect((err as Error).message).toBe(
      `another opencode-multi-auth daemon (pid ${process.pid}) holds the store ${file}`,
    )

    await store.close()
    expect(await names(dir)).toEqual([])
    const second = await openRaw(file)
    await second.close()
  })

  it('withStoreLock holds the lock while fn runs and releases it after', async () => {
    const { file } = await tempStore()
    const seenLocked = await withStoreLock(
      { file, logger: new RecordingLogger(), clock: new FakeClock() },
      async (store) => {
        await store.update((d) => {
          d.accounts.cli = account('cli')
        })
        return openRaw(file).then(
          () => false,
          (e: unknown) => e instanceof StoreLockedError,
        )
      },
    )
    expect(seenLocked).toBe(true)
    expect(Object.keys((await readJson(file)).accounts as object)).toEqual(['cli'])
    await (await openRaw(file)).close()
  })

  it('re-takes a lock whose directory vanished, without throwing', async () => {
    const { dir, file } = await tempStore()
    await mkdir(dir, { recursive: true })
    const logger = new RecordingLogger()
    const lock = await StoreLock.acquire(file, { fs: nodeFs, logger, clock: new FakeClock() })
    await rmdir(lock.lockDir)

    await lock.onCompromised(Object.assign(new Error('lock dir removed'), { code: 'ECOMPROMISED' }))
    expect(await names(dir)).toContain('accounts.json.lock')
    expect(logger.errors()[0]).toMatch(/compromised/)
    expect(logger.lines.some((l) => l.level === 'warn' && /re-acquired/.test(l.message))).toBe(true)
    await lock.release()
    expect(await names(dir)).toEqual([])
  })

  it('names another process that took the lock, and takes it back once it is free', async () => {
    const { dir, file } = await tempStore()
    await mkdir(dir, { recursive: true })
    const logger = new RecordingLogger()
    const clock = new FakeClock()
    const lock = await StoreLock.acquire(file, { fs: nodeFs, logger, clock })
    // Another daemon's lock: a fresh lock dir and its pid.
    await rmdir(lock.lockDir)
    await mkdir(lock.lockDir)
    await writeFile(lock.pidFile, '4242\n')

    await lock.onCompromised(new Error('mtime changed'))
    expect(logger.errors().some((m) => m.includes('ANOTHER') && m.includes('pid 4242'))).toBe(true)
    expect(clock.timers).toHaveLength(1)

    await rmdir(lock.lockDir)
    await clock.advance(10_000)
    // The pid file is written a moment before the log line: wait for both.
    await vi.waitFor(async () => {
      expect(await readFile(lock.pidFile, 'utf8')).toBe(`${process.pid}\n`)
      expect(logger.lines.some((l) => l.level === 'warn' && /re-acquired/.test(l.message))).toBe(true)
    })
    await lock.release()
  })

  it('waits out a lock left by a dead process instead of failing', async () => {
    const { dir, file } = await tempStore()
    await mkdir(`${file}.lock`, { recursive: true })
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await writeFile(`${file}.pid`, `${dead}\n`)
    // Almost stale: last refreshed 9.5 s ago.
    const then = new Date(Date.now() - 9_500)
    await utimes(`${file}.lock`, then, then)

    const { store, logger } = await open({ file })
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes(`pid ${dead}`))).toBe(true)
    expect(await readFile(`${file}.pid`, 'utf8')).toBe(`${process.pid}\n`)
    await store.close()
    expect(await names(dir)).toEqual([])
  })

  it("waits out a dead holder's lock on the injected wall clock, not on real time", async () => {
    const { dir, file } = await tempStore()
    await mkdir(`${file}.lock`, { recursive: true })
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await writeFile(`${file}.pid`, `${dead}\n`)
    // A wall clock that starts at the lock's mtime and moves only when the lock sleeps on it.
    let wall = (await stat(`${file}.lock`)).mtimeMs
    const sleeps: number[] = []
    const wallClock = {
      ...systemClock,
      now: () => wall,
      sleep: (ms: number) => {
        sleeps.push(ms)
        wall += ms
        return Promise.resolve()
      },
    }
    const store = await AccountStore.open({ file, logger: new RecordingLogger(), clock: new FakeClock(), wallClock })
    // Fresh at first: it waited (on this clock) until the holder was clearly gone.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThan(1_500)
    expect(await readFile(`${file}.pid`, 'utf8')).toBe(`${process.pid}\n`)
    await store.close()
    expect(await names(dir)).toEqual([])
  })
})
