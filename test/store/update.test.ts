import { ErrorCode } from '../../protocol/errors.js'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { nodeFs, type StoreFs } from '../../daemon/store/fs.js'
import { TOUCH_DELAY_MS } from '../../daemon/store/store.js'
import { account, open, readJson, tempStore } from './helpers.js'

/** Real fs, with renames onto the store file failing or held while a test says so. */
function seamFs(file: string) {
  const state = {
    fail: false,
    hold: undefined as { reached: () => void; gate: Promise<void> } | undefined,
    mainRenames: 0,
  }
  const fs: StoreFs = {
    ...nodeFs,
    rename: async (from, to) => {
      if (to === file) {
        if (state.fail) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' })
        const hold = state.hold
        if (hold) {
          hold.reached()
          await hold.gate
        }
        state.mainRenames++
      }
      return nodeFs.rename(from, to)
    },
  }
  return { fs, state }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe('AccountStore.update', () => {
  it('leaves data and disk unchanged when the write fails, and recovers after', async () => {
    const { file } = await tempStore()
    const { fs, state } = seamFs(file)
    const { store } = await open({ file, fs })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    const before = structuredClone(store.data)
    const bytes = await readFile(file)

    state.fail = true
    await expect(
      store.update((d) => {
        d.accounts.acc2 = account(2)
        d.activeAlias = 'acc2'
      }),
    ).rejects.toMatchObject({ code: ErrorCode.STORE_UNAVAILABLE })
    expect(store.data).toEqual(before)
    expect(store.data.accounts.acc2).toBeUndefined()
    expect(await readFile(file)).toEqual(bytes)

    state.fail = false
    await store.update((d) => {
      d.accounts.acc3 = account(3)
    })
    expect(Object.keys((await readJson(file)).accounts as object)).toEqual(['acc1', 'acc3'])
  })

  it('rejects a draft that would not load back, writing nothing', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    const bytes = await readFile(file)
    await expect(
      store.update((d) => {
        d.accounts.acc1.refreshToken = ''
      }),
    ).rejects.toThrow(/invalid store/)
    expect(store.data.accounts.acc1.refreshToken).toBe('refresh-token-SECRET-1')
    expect(await readFile(file)).toEqual(bytes)
  })

  it('serializes 100 concurrent updates: each sees the previous one', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    const seen = await Promise.all(
      Array.from({ length: 100 }, () =>
        store.update((d) => {
          d.rotationIndex += 1
          return d.rotationIndex
        }),
      ),
    )
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect((await readJson(file)).rotationIndex).toBe(100)
    expect(store.data.rotationIndex).toBe(100)
  })

  it('touch applies at once and writes once, TOUCH_DELAY_MS later', async () => {
    const { file } = await tempStore()
    const { fs, state } = seamFs(file)
    const { store, clock } = await open({ file, fs })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    const writesBefore = state.mainRenames

    for (let i = 0; i < 5; i++) store.touch((d) => void d.accounts.acc1.usageCount++, 'counters')
    expect(store.data.accounts.acc1.usageCount).toBe(5)
    await clock.advance(TOUCH_DELAY_MS - 1)
    expect(((await readJson(file)).accounts as Record<string, { usageCount: number }>).acc1.usageCount).toBe(0)

    await clock.advance(1)
    await store.flush()
    expect(((await readJson(file)).accounts as Record<string, { usageCount: number }>).acc1.usageCount).toBe(5)
    expect(state.mainRenames - writesBefore).toBe(1)
  })

  it('a steady stream of counters writes the store once per TOUCH_DELAY_MS, not per touch', async () => {
    const { file } = await tempStore()
    const { fs, state } = seamFs(file)
    const { store, clock } = await open({ file, fs })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    const writesBefore = state.mainRenames
    // Each coalesced write (real I/O) lands before fake time moves on.
    clock.settle = () => store.idle()
    // 20 s of serving, a touch every 100 ms: "at most every few seconds" means a handful of writes.
    const step = 100
    for (let i = 0; i < 200; i++) {
      store.touch((d) => {
        d.accounts.acc1.usageCount++
        d.rotationIndex = i
      }, 'counters')
      await clock.advance(step)
    }
    const writtenWhileServing = state.mainRenames - writesBefore
    await store.flush()
    const onDisk = await readJson(file)
    expect((onDisk.accounts as Record<string, { usageCount: number }>).acc1.usageCount).toBe(200)
    expect(onDisk.rotationIndex).toBe(199)
    // Written while serving, not only at shutdown; 200 touches over 4 intervals: at most one write
    // per TOUCH_DELAY_MS plus the flush, never one per touch or per second.
    expect(writtenWhileServing).toBeGreaterThanOrEqual(3)
    expect(state.mainRenames - writesBefore).toBeLessThanOrEqual(5)
  })

  it('counters leave the revision alone; a state touch and an update move it', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    const r0 = store.revision
    store.touch((d) => void d.accounts.acc1.usageCount++, 'counters')
    expect(store.revision).toBe(r0)
    store.touch((d) => void (d.accounts.acc1.rateLimits = { fiveHour: { usedPercent: 90 } }))
    expect(store.revision).toBeGreaterThan(r0)
    const r1 = store.revision
    await store.update((d) => void (d.accounts.acc1.enabled = false))
    expect(store.revision).toBeGreaterThan(r1)
  })

  it('a touch during an update in flight is neither lost in memory nor on disk', async () => {
    const { file } = await tempStore()
    const { fs, state } = seamFs(file)
    const { store } = await open({ file, fs })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })

    const gate = deferred()
    const reached = deferred()
    state.hold = { reached: reached.resolve, gate: gate.promise }
    const pending = store.update((d) => {
      d.activeAlias = 'acc1'
    })
    await reached.promise
    store.touch((d) => void d.accounts.acc1.usageCount++)
    state.hold = undefined
    gate.resolve()
    await pending

    expect(store.data.activeAlias).toBe('acc1')
    expect(store.data.accounts.acc1.usageCount).toBe(1)
    await store.flush()
    const onDisk = await readJson(file)
    expect(onDisk.activeAlias).toBe('acc1')
    expect((onDisk.accounts as Record<string, { usageCount: number }>).acc1.usageCount).toBe(1)
  })

  it('a touch whose account an update in flight removes does not break that update', async () => {
    const { file } = await tempStore()
    const { fs, state } = seamFs(file)
    const { store } = await open({ file, fs })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
      d.accounts.acc2 = account(2)
    })
    const gate = deferred()
    const reached = deferred()
    state.hold = { reached: reached.resolve, gate: gate.promise }
    const pending = store.update((d) => {
      delete d.accounts.acc1
    })
    await reached.promise
    store.touch((d) => void d.accounts.acc1.usageCount++)
    state.hold = undefined
    gate.resolve()
    await pending
    expect(Object.keys(store.data.accounts)).toEqual(['acc2'])
    expect(Object.keys((await readJson(file)).accounts as object)).toEqual(['acc2'])
  })

  it('close() writes pending touches; updates after close are refused', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    store.touch((d) => {
      d.accounts.acc1.lastUsed = 42
    })
    await store.close()
    expect(((await readJson(file)).accounts as Record<string, { lastUsed?: number }>).acc1.lastUsed).toBe(42)
    await expect(store.update(() => {})).rejects.toThrow(/closed/)
  })
})
