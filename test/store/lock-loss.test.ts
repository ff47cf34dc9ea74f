/**
 * Lost update after a lock loss (docs/architecture.md, invariant 17): the
 * daemon is suspended past the lock's stale time, a one-shot CLI takes the
 * lock and writes tags, then the daemon takes its lock back. Its next write
 * must keep those tags (reload, then apply its own change on top), and while
 * another process holds the lock it must not write at all. In-process: the
 * suspension is a removed lock directory and a direct onCompromised call.
 */
import { rm } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { StoreLock } from '../../daemon/store/lock.js'
import { AccountStore } from '../../daemon/store/store.js'
import { FakeClock } from '../helpers/clock.js'
import { account, open, readJson, RecordingLogger, tempStore } from './helpers.js'

const lockOf = (store: AccountStore): StoreLock => (store as unknown as { lock: StoreLock }).lock

describe('store lock lost and taken back', () => {
  it('adopts a write made meanwhile by another process instead of erasing it', async () => {
    const { file } = await tempStore()
    const { store: daemon, logger } = await open({ file })
    await daemon.update((d) => void (d.accounts.acc1 = account(1)))
    // The daemon sleeps; its lock goes stale and a one-shot takes it.
    await rm(`${file}.lock`, { recursive: true, force: true })
    const oneshot = await AccountStore.open({ file, logger: new RecordingLogger(), clock: new FakeClock() })
    // While the other process holds the lock, the daemon refuses to write.
    await lockOf(daemon).onCompromised(new Error('simulated: lock stale after SIGSTOP'))
    expect(lockOf(daemon).held).toBe(false)
    await expect(daemon.update((d) => void (d.accounts.acc1.notes = 'too early'))).rejects.toThrow(
      /lost the store lock/,
    )
    await oneshot.update((d) => void (d.accounts.acc1.tags = ['from-the-cli']))
    await oneshot.close()
    // The daemon wakes up and takes its lock back.
    await lockOf(daemon).onCompromised(new Error('simulated: lock stale after SIGSTOP'))
    expect(lockOf(daemon).held).toBe(true)
    await daemon.update((d) => void (d.accounts.acc1.notes = 'from-the-daemon'))
    const onDisk = (await readJson(file)).accounts as Record<string, { tags?: string[]; notes?: string }>
    expect(onDisk.acc1).toMatchObject({ tags: ['from-the-cli'], notes: 'from-the-daemon' })
    expect(daemon.data.accounts.acc1?.tags).toEqual(['from-the-cli'])
    expect(logger.errors().join('\n')).toMatch(/changed by another process while this daemon had lost its lock/)
  })

  it('takes the lock back without a reload when nobody wrote meanwhile', async () => {
    const { file } = await tempStore()
    const { store, logger } = await open({ file })
    await store.update((d) => void (d.accounts.acc1 = account(1)))
    await rm(`${file}.lock`, { recursive: true, force: true })
    await lockOf(store).onCompromised(new Error('simulated'))
    await store.update((d) => void (d.accounts.acc1.notes = 'n'))
    expect(store.data.accounts.acc1?.notes).toBe('n')
    expect(logger.errors().join('\n')).not.toMatch(/changed by another process/)
  })
})
