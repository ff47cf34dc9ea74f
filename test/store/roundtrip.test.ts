import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { account, mode, names, open, readJson, tempStore } from './helpers.js'

describe('AccountStore: load, save, round trip', () => {
  it('starts empty when the file is missing and creates it on the first write', async () => {
    const { dir, file } = await tempStore()
    const { store } = await open({ file })
    expect(store.data.accounts).toEqual({})
    expect(await names(dir)).not.toContain('accounts.json')

    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    const onDisk = await readJson(file)
    expect(onDisk.version).toBe(2)
    expect((onDisk.accounts as Record<string, unknown>).acc1).toMatchObject({ accessToken: 'access-token-SECRET-1' })
  })

  it('preserves unknown fields at the top level, in accounts and in settings', async () => {
    const { dir, file } = await tempStore()
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const original = {
      version: 2,
      accounts: { a: { ...account('a'), futureAccountField: { nested: [1, 2] } } },
      activeAlias: 'a',
      rotationIndex: 3,
      lastRotation: 5,
      settings: { criticalThreshold: 10, futureSetting: 'keep' },
      futureTopLevel: { x: true },
    }
    await writeFile(file, JSON.stringify(original), { mode: 0o600 })

    const first = await open({ file })
    await first.store.update((d) => {
      d.rotationIndex = 4
    })
    await first.store.close()

    const onDisk = await readJson(file)
    expect(onDisk.futureTopLevel).toEqual({ x: true })
    expect(onDisk.settings).toEqual({ criticalThreshold: 10, futureSetting: 'keep' })
    expect((onDisk.accounts as Record<string, Record<string, unknown>>).a.futureAccountField).toEqual({
      nested: [1, 2],
    })
    expect(onDisk.rotationIndex).toBe(4)

    const second = await open({ file })
    expect((second.store.data as Record<string, unknown>).futureTopLevel).toEqual({ x: true })
    expect((second.store.data.accounts.a as Record<string, unknown>).futureAccountField).toEqual({ nested: [1, 2] })
  })

  it('keeps the store, .bak and .lkg at 0600 and a store dir it created at 0700', async () => {
    const { dir, file } = await tempStore()
    const { store } = await open({ file })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    await store.update((d) => {
      d.accounts.acc2 = account(2)
    })
    expect(await mode(dir)).toBe(0o700)
    expect(await mode(file)).toBe(0o600)
    expect(await mode(`${file}.bak`)).toBe(0o600)
    expect(await mode(`${file}.lkg`)).toBe(0o600)
    expect(await mode(`${file}.pid`)).toBe(0o600)
  })

  it('.bak holds the previous state and .lkg the current one', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    await store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    await store.update((d) => {
      d.accounts.acc2 = account(2)
    })
    expect(Object.keys((await readJson(`${file}.bak`)).accounts as object)).toEqual(['acc1'])
    expect(await readFile(`${file}.lkg`)).toEqual(await readFile(file))
  })

  it('tightens a pre-existing store dir named after the app, but not a user-chosen one', async () => {
    const ours = await tempStore()
    await mkdir(ours.dir, { mode: 0o755 })
    await chmod(ours.dir, 0o755)
    await open({ file: ours.file })
    expect(await mode(ours.dir)).toBe(0o700)

    const theirs = await tempStore()
    const userDir = join(theirs.root, 'my-secrets')
    await mkdir(userDir)
    await chmod(userDir, 0o755)
    const { logger } = await open({ file: join(userDir, 'accounts.json') })
    expect(await mode(userDir)).toBe(0o755)
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes(userDir))).toBe(true)
  })

  it('removes temp files a crashed writer left behind', async () => {
    const { dir, file } = await tempStore()
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(join(dir, '.accounts.json.tmp-999999-3'), 'partial')
    await writeFile(join(dir, '.accounts.json.lkg.tmp-999999-4'), 'partial')
    await writeFile(join(dir, 'unrelated.tmp-1-1'), 'keep')
    await open({ file })
    expect(await names(dir)).toEqual(['accounts.json.lock', 'accounts.json.pid', 'unrelated.tmp-1-1'])
  })
})
