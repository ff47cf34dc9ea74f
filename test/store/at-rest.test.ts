/**
 * With a passphrase, nothing at rest holds a token in plaintext — not the
 * store, and not the copies made on the way: the pre-migration backup of a v1
 * or legacy store, or a corrupt file moved aside (docs/architecture.md#invariants,
 * 10 and 16). Every file under the store directory is grepped for every token.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { account, open, tempStore } from './helpers.js'

const PASS = 'correct horse battery staple'
const TOKENS = [1, 2].flatMap((n) => [`access-token-SECRET-${n}`, `refresh-token-SECRET-${n}`, `id-token-SECRET-${n}`])

async function seed(name: string, text: string): Promise<{ dir: string; file: string }> {
  const { dir, file } = await tempStore()
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writeFile(join(dir, name), text, { mode: 0o600 })
  return { dir, file }
}

/** Every file in the store directory (and what it holds), for the grep. */
async function everyFile(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.set(e.name, await readFile(join(e.parentPath, e.name), 'latin1'))
  }
  return out
}

async function expectNoPlaintextToken(dir: string): Promise<string[]> {
  const files = await everyFile(dir)
  for (const [name, text] of files) {
    for (const token of TOKENS) expect(text, `${token} in ${name}`).not.toContain(token)
  }
  return [...files.keys()].sort()
}

/** A v1 account: no alias inside it. */
const strip = (n: number): Record<string, unknown> => {
  const rest: Record<string, unknown> = { ...account(n) }
  delete rest.alias
  return rest
}

describe('with a passphrase nothing at rest is plaintext', () => {
  it('a v1 store: the pre-migration backup is sealed, and it still opens', async () => {
    const v1 = JSON.stringify({ accounts: { a1: strip(1), a2: strip(2) }, activeAlias: 'a1' })
    const { dir, file } = await seed('accounts.json', v1)
    const first = await open({ file, passphrase: PASS })
    expect(Object.keys(first.store.data.accounts).sort()).toEqual(['a1', 'a2'])
    await first.store.close()
    const names = await expectNoPlaintextToken(dir)
    expect(names).toContain('accounts.json.pre-migration-1.bak')
    // The sealed backup is a store we can open: the original layout, migrated again.
    const backup = join(dir, 'accounts.json.pre-migration-1.bak')
    const { store } = await open({ file: backup, passphrase: PASS, lock: false })
    expect(store.data.accounts.a2?.refreshToken).toBe('refresh-token-SECRET-2')
  })

  it('a legacy array store: the pre-migration backup is sealed', async () => {
    const legacy = JSON.stringify({ accounts: [account(1), account(2)], activeIndex: 0 })
    const { dir, file } = await seed('accounts.json', legacy)
    const { store } = await open({ file, passphrase: PASS })
    expect(Object.keys(store.data.accounts)).toHaveLength(2)
    await store.close()
    expect(await expectNoPlaintextToken(dir)).toContain('accounts.json.pre-migration-legacy.bak')
  })

  it('a corrupt plaintext store recovered from .lkg: the file moved aside is sealed', async () => {
    const good = JSON.stringify({ version: 2, accounts: { acc1: account(1) }, activeAlias: 'acc1' })
    const { dir, file } = await seed('accounts.json.lkg', good)
    // Torn JSON that still carries tokens.
    await writeFile(file, `{"version":2,"accounts":{"acc2":${JSON.stringify(account(2))}`, { mode: 0o600 })
    const { store, logger } = await open({ file, passphrase: PASS })
    expect(store.data.accounts.acc1?.refreshToken).toBe('refresh-token-SECRET-1')
    await store.close()
    const names = await expectNoPlaintextToken(dir)
    expect(names.some((n) => n.startsWith('accounts.json.corrupt-'))).toBe(true)
    expect(logger.errors().join('\n')).toMatch(/STORE CORRUPT/)
  })

  it('a corrupt plaintext store with nothing to recover from: moved aside sealed, the store starts empty', async () => {
    const { dir, file } = await seed('accounts.json', `{"accounts":{"x":${JSON.stringify(account(1))}`)
    const { store } = await open({ file, passphrase: PASS })
    expect(store.data.accounts).toEqual({})
    await store.close()
    expect((await expectNoPlaintextToken(dir)).some((n) => n.startsWith('accounts.json.corrupt-'))).toBe(true)
  })

  it('without a passphrase the corrupt file is kept byte for byte', async () => {
    const torn = `{"accounts":{"x":${JSON.stringify(account(1))}`
    const { dir, file } = await seed('accounts.json', torn)
    const { store } = await open({ file })
    await store.close()
    const aside = [...(await everyFile(dir)).entries()].find(([n]) => n.startsWith('accounts.json.corrupt-'))
    expect(aside?.[1]).toBe(torn)
  })
})
