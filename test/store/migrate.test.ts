import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StoreVersionError } from '../../daemon/store/store.js'
import { AccountStore } from '../../daemon/store/store.js'
import { FakeClock } from '../helpers/clock.js'
import { account, mode, names, open, readJson, RecordingLogger, tempStore } from './helpers.js'

async function seed(text: string): Promise<{ dir: string; file: string }> {
  const { dir, file } = await tempStore()
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writeFile(file, text, { mode: 0o600 })
  return { dir, file }
}

function strip(acc: ReturnType<typeof account>): Record<string, unknown> {
  const { alias: _alias, usageCount: _u, ...rest } = acc
  return rest
}

describe('AccountStore: migration', () => {
  it('migrates a v1 store to v2 and keeps the original bytes as a backup', async () => {
    const v1 = JSON.stringify({
      accounts: { work: strip(account(1)) },
      activeAlias: 'work',
      rotationIndex: 2,
      lastRotation: 7,
    })
    const { file } = await seed(v1)

    const { store } = await open({ file })
    expect(store.data.version).toBe(2)
    expect(store.data.accounts.work).toMatchObject({ alias: 'work', accessToken: 'access-token-SECRET-1' })
    expect(store.data.activeAlias).toBe('work')

    const onDisk = await readJson(file)
    expect(onDisk.version).toBe(2)
    expect((onDisk.accounts as Record<string, { alias: string }>).work.alias).toBe('work')
    expect(await readFile(`${file}.pre-migration-1.bak`, 'utf8')).toBe(v1)
    expect(await mode(`${file}.pre-migration-1.bak`)).toBe(0o600)
  })

  it('migrates the legacy array format, naming accounts by alias or email, resolving collisions', async () => {
    const legacy = JSON.stringify({
      accounts: [
        strip(account(1, { email: 'sam@one.com' })),
        strip(account(2, { email: 'sam@two.com' })),
        { ...strip(account(3)), alias: 'main' },
        strip(account(4, { email: 'sam@three.com' })),
      ],
      activeIndex: 1,
      keptField: 'yes',
    })
    const { file } = await seed(legacy)

    const { store } = await open({ file })
    expect(Object.keys(store.data.accounts)).toEqual(['sam', 'sam-1', 'main', 'sam-2'])
    expect(store.data.accounts['sam-1']).toMatchObject({ alias: 'sam-1', refreshToken: 'refresh-token-SECRET-2' })
    expect(store.data.activeAlias).toBe('sam-1')

    const onDisk = await readJson(file)
    expect(onDisk.version).toBe(2)
    expect(onDisk.activeIndex).toBeUndefined()
    expect(onDisk.keptField).toBe('yes')
    expect(Object.keys(onDisk.accounts as object)).toEqual(['sam', 'sam-1', 'main', 'sam-2'])
    expect(await readFile(`${file}.pre-migration-legacy.bak`, 'utf8')).toBe(legacy)
  })

  it('does not overwrite an earlier pre-migration backup', async () => {
    const first = JSON.stringify({ accounts: { a: strip(account(1)) } })
    const { dir, file } = await seed(first)
    const opened = await open({ file })
    await opened.store.close()
    const second = JSON.stringify({ accounts: { b: strip(account(2)) } })
    await writeFile(file, second)
    await open({ file })

    const backups = (await names(dir)).filter((n) => n.includes('pre-migration-1'))
    expect(backups).toHaveLength(2)
    const contents = await Promise.all(backups.map((n) => readFile(join(dir, n), 'utf8')))
    expect(contents.sort()).toEqual([first, second].sort())
  })

  it('treats a file with an invalid account as corrupt instead of dropping that account', async () => {
    const { refreshToken: _drop, ...broken } = strip(account(2))
    const legacy = JSON.stringify({ accounts: [strip(account(1)), broken], activeIndex: 0 })
    const { dir, file } = await seed(legacy)

    const { store, logger } = await open({ file })
    const aside = (await names(dir)).filter((n) => n.startsWith('accounts.json.corrupt-'))
    expect(aside).toHaveLength(1)
    expect(await readFile(join(dir, aside[0]), 'utf8')).toBe(legacy)
    expect(logger.errors().join('\n')).toContain(join(dir, aside[0]))
    expect(store.data.accounts).toEqual({})
  })

  it('refuses a store written by a newer version and leaves it alone', async () => {
    const newer = JSON.stringify({ version: 3, accounts: {} })
    const { dir, file } = await seed(newer)
    const before = await names(dir)
    await expect(
      AccountStore.open({ file, logger: new RecordingLogger(), clock: new FakeClock() }),
    ).rejects.toBeInstanceOf(StoreVersionError)
    expect(await readFile(file, 'utf8')).toBe(newer)
    expect(await names(dir)).toEqual(before)
  })
})
