/**
 * update() copies only the accounts a mutator reads, and the file is assembled from pieces
 * kept per account object (draft.ts, store-text.ts). Neither may ever show: over random
 * histories of updates and touches, including touches that land while a write is in flight
 * (and are replayed on its result), the state must be what applying each change once, in
 * order, gives, and the file must be exactly JSON.stringify of that state.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { nodeFs, type StoreFs } from '../../daemon/store/fs.js'
import type { StoreData } from '../../daemon/store/schema.js'
import type { AccountStore } from '../../daemon/store/store.js'
import { seeded } from '../rotation/support.js'
import { account, open, tempStore } from './helpers.js'

type Change = (d: StoreData) => unknown

function pick<T>(rnd: () => number, of: readonly T[]): T {
  const v = of[Math.floor(rnd() * of.length)]
  if (v === undefined) throw new Error('empty choice')
  return v
}

/** A change to make through update(); `throws` ones must leave no trace. */
function randomUpdate(rnd: () => number, aliases: string[], n: number): { change: Change; throws?: boolean } {
  const alias = aliases.length ? pick(rnd, aliases) : 'none'
  const fresh = `new${n}`
  const withAccount = (f: (a: NonNullable<StoreData['accounts'][string]>) => void): Change => {
    return (d) => {
      const a = d.accounts[alias]
      if (a) f(a)
    }
  }
  const kinds: Array<() => { change: Change; throws?: boolean }> = [
    () => ({ change: withAccount((a) => (a.usageCount = n)) }),
    () => ({ change: withAccount((a) => (a.notes = `note ${n}`)) }),
    () => ({ change: withAccount((a) => delete a.email) }),
    () => ({
      change: withAccount((a) => {
        a.rateLimits ??= { fiveHour: { remaining: 50 } }
        a.rateLimits.fiveHour ??= {}
        a.rateLimits.fiveHour.remaining = n
      }),
    }),
    () => ({ change: withAccount((a) => (a.tags ??= []).push(`t${n}`)) }),
    () => ({
      change: withAccount((a) => {
        // Written back unchanged: the account counts as unchanged.
        const same = a.email
        a.email = same
      }),
    }),
    () => ({ change: (d) => void (d.accounts[fresh] = account(fresh)) }),
    () => ({ change: (d) => void delete d.accounts[alias] }),
    () => ({
      change: (d) => {
        const a = d.accounts[alias]
        if (!a) return
        d.accounts[fresh] = a
        delete d.accounts[alias]
      },
    }),
    () => ({ change: (d) => Object.values(d.accounts).filter((a) => a.email === 'nobody').length }),
    () => ({ change: (d) => void (d.rotationIndex = n) }),
    () => ({ change: (d) => void (d.settings = { n }) }),
    () => ({ change: (d) => void (d.accounts = Object.fromEntries(Object.entries(d.accounts))) }),
    () => ({
      throws: true,
      change: (d) => {
        const a = d.accounts[alias]
        if (a) a.usageCount = -1
        d.rotationIndex = -1
        throw new Error('mutator gave up')
      },
    }),
    () => ({
      // What a mutator hands out is a copy: changing it later changes nothing stored.
      change: (d) => {
        const a = d.accounts[alias]
        const copy = a && structuredClone(a)
        if (copy) queueMicrotask(() => (copy.usageCount = -7))
        return copy
      },
    }),
  ]
  return pick(rnd, kinds)()
}

/** A hot-path change, as the token engine and the limits reader make them through touch(). */
function randomTouch(rnd: () => number, aliases: string[], n: number): Change {
  const alias = pick(rnd, [...aliases, 'gone'])
  const kinds: Change[] = [
    (d) => {
      const a = d.accounts[alias]
      if (a) a.usageCount = (a.usageCount ?? 0) + 1
    },
    (d) => {
      const fiveHour = d.accounts[alias]?.rateLimits?.fiveHour
      if (fiveHour) fiveHour.remaining = (fiveHour.remaining ?? 0) - 1
    },
    (d) => {
      const a = d.accounts[alias]
      if (a) a.rateLimits = { weekly: { usedPercent: n } }
    },
    (d) => void (d.rotationIndex += 1),
    (d) => {
      for (const a of Object.values(d.accounts)) a.lastUsed = n
    },
  ]
  return pick(rnd, kinds)
}

/** Real fs; `hook` runs as the store file is about to be renamed into place (a write in flight). */
function hookedFs(file: string): { fs: StoreFs; set: (hook: (() => void) | undefined) => void } {
  let hook: (() => void) | undefined
  const fs: StoreFs = {
    ...nodeFs,
    rename: async (from, to) => {
      if (to === file) hook?.()
      return nodeFs.rename(from, to)
    },
  }
  return { fs, set: (h) => (hook = h) }
}

async function expectFileIsState(store: AccountStore, file: string, label: string): Promise<void> {
  await store.flush()
  expect(await readFile(file, 'utf8'), label).toBe(`${JSON.stringify(store.data, null, 2)}\n`)
  expect(await readFile(`${file}.lkg`, 'utf8'), label).toBe(await readFile(file, 'utf8'))
}

async function history(seed: number): Promise<void> {
  const rnd = seeded(seed)
  const { file } = await tempStore()
  const { fs, set } = hookedFs(file)
  const { store } = await open({ file, fs })
  const model: StoreData = { version: 2, accounts: {}, activeAlias: null, rotationIndex: 0, lastRotation: 0 }
  const seedAccounts: Change = (d) => {
    for (let i = 0; i < 6; i++) d.accounts[`acc${i}`] = account(i, { rateLimits: { fiveHour: { remaining: 9 } } })
  }
  await store.update(seedAccounts)
  seedAccounts(model)
  model.lastRotation = store.data.lastRotation
  for (let step = 0; step < 30; step++) {
    const label = `seed ${seed} step ${step}`
    const aliases = Object.keys(model.accounts)
    // Touches now, applied at once…
    for (let i = Math.floor(rnd() * 3); i > 0; i--) {
      const t = randomTouch(rnd, aliases, step)
      store.touch(t)
      t(model)
    }
    // …and touches while the next write is in flight, replayed on its result after it.
    const during: Change[] = []
    if (rnd() < 0.6) {
      set(() => {
        set(undefined)
        for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
          const t = randomTouch(rnd, aliases, 100 + step)
          store.touch(t)
          during.push(t)
        }
      })
    }
    if (rnd() < 0.2) {
      await store.flush()
      for (const t of during.splice(0)) t(model)
    }
    const { change, throws } = randomUpdate(rnd, aliases, step)
    const done = await store.update(change).then(
      () => true,
      () => false,
    )
    expect(done, label).toBe(!throws)
    if (done) change(model)
    for (const t of during) t(model)
    set(undefined)
    await Promise.resolve()
    expect(JSON.parse(JSON.stringify(store.data)), label).toEqual(JSON.parse(JSON.stringify(model)))
    if (step % 5 === 4) await expectFileIsState(store, file, label)
  }
  await expectFileIsState(store, file, `seed ${seed} end`)
}

describe('AccountStore: copy-on-read drafts and kept account texts', () => {
  it('over random update/touch histories, state = each change applied once, file = JSON of the state (30 seeds)', async () => {
    for (let seed = 1; seed <= 30; seed++) await history(seed)
  }, 60_000)

  it('an update leaves the accounts it did not change as they were, the same objects', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
      d.accounts.acc2 = account(2)
    })
    const [a1, a2] = [store.data.accounts.acc1, store.data.accounts.acc2]
    await store.update((d) => {
      // Read both, change one.
      if (d.accounts.acc1?.email && d.accounts.acc2) d.accounts.acc2.usageCount = 5
    })
    expect(store.data.accounts.acc1).toBe(a1)
    expect(store.data.accounts.acc2).not.toBe(a2)
    expect(a2?.usageCount).toBe(0)
  })
})
