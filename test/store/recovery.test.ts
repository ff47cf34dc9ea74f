import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { account, names, open, readJson, tempStore } from './helpers.js'

/** Builds a store with two accounts written by us (so .lkg and .bak exist), then closes it. */
async function seeded(passphrase?: string): Promise<{ dir: string; file: string }> {
  const paths = await tempStore()
  const { store } = await open({ file: paths.file, passphrase })
  await store.update((d) => {
    d.accounts.acc1 = account(1)
  })
  await store.update((d) => {
    d.accounts.acc2 = account(2)
  })
  await store.close()
  return paths
}

async function corruptFiles(dir: string): Promise<string[]> {
  return (await names(dir)).filter((n) => n.startsWith('accounts.json.corrupt-'))
}

describe('AccountStore: corrupt store at open', () => {
  it('recovers from .lkg, keeps the bad file aside, says so loudly, and keeps writing', async () => {
    const { dir, file } = await seeded()
    await writeFile(file, '{"version":2,"accounts":{"acc1":{"accessToken":"tru')

    const { store, logger } = await open({ file })
    expect(store.recoveredFrom).toBe(`${file}.lkg`)
    expect(Object.keys(store.data.accounts)).toEqual(['acc1', 'acc2'])

    const aside = await corruptFiles(dir)
    expect(aside).toHaveLength(1)
    expect(await readFile(join(dir, aside[0]), 'utf8')).toBe('{"version":2,"accounts":{"acc1":{"accessToken":"tru')
    const errors = logger.errors().join('\n')
    expect(errors).toContain(join(dir, aside[0]))
    expect(errors).toContain(`${file}.lkg`)
    expect(errors).not.toContain('tru')

    // The recovered state was written back at once: the main file is valid again.
    expect(Object.keys((await readJson(file)).accounts as object)).toEqual(['acc1', 'acc2'])
    await store.update((d) => {
      d.accounts.acc3 = account(3)
    })
    expect(Object.keys((await readJson(file)).accounts as object)).toEqual(['acc1', 'acc2', 'acc3'])
    await store.close()

    const again = await open({ file })
    expect(again.store.recoveredFrom).toBeUndefined()
    expect(Object.keys(again.store.data.accounts)).toEqual(['acc1', 'acc2', 'acc3'])
  })

  it('treats a schema failure as corruption', async () => {
    const { dir, file } = await seeded()
    const broken = await readJson(file)
    ;(broken.accounts as Record<string, Record<string, unknown>>).acc2.expiresAt = 'soon'
    await writeFile(file, JSON.stringify(broken))

    const { store } = await open({ file })
    expect(store.recoveredFrom).toBe(`${file}.lkg`)
    expect(store.data.accounts.acc2.expiresAt).toBe(1_900_000_000_000)
    expect(await corruptFiles(dir)).toHaveLength(1)
  })

  it('falls back to .bak when .lkg is unusable too', async () => {
    const { file } = await seeded()
    await writeFile(file, 'garbage')
    await writeFile(`${file}.lkg`, 'garbage')

    const { store } = await open({ file })
    expect(store.recoveredFrom).toBe(`${file}.bak`)
    expect(Object.keys(store.data.accounts)).toEqual(['acc1'])
  })

  it('starts empty, but writable and loud, when no copy is usable', async () => {
    const { dir, file } = await tempStore()
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(file, '][')

    const { store, logger } = await open({ file })
    expect(store.data.accounts).toEqual({})
    expect(logger.errors().join('\n')).toMatch(/EMPTY/)
    expect(await corruptFiles(dir)).toHaveLength(1)
    expect((await readJson(file)).version).toBe(2)
  })

  it('recovers an encrypted store whose ciphertext was damaged, when the passphrase opens .lkg', async () => {
    const { dir, file } = await seeded('correct horse')
    const envelope = await readJson(file)
    const data = Buffer.from(envelope.data as string, 'base64')
    data[10] ^= 0xff
    await writeFile(file, JSON.stringify({ ...envelope, data: data.toString('base64') }))

    const { store, logger } = await open({ file, passphrase: 'correct horse' })
    expect(store.recoveredFrom).toBe(`${file}.lkg`)
    expect(Object.keys(store.data.accounts)).toEqual(['acc1', 'acc2'])
    expect(logger.errors()).toHaveLength(1)
    expect(await corruptFiles(dir)).toHaveLength(1)
  })
})
