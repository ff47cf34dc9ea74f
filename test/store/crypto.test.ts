import { createCipheriv, randomBytes, scryptSync } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { scryptKdf, type Kdf } from '../../daemon/store/crypto.js'
import { AccountStore, StoreEncryptedError } from '../../daemon/store/store.js'
import { FakeClock } from '../helpers/clock.js'
import { account, allFiles, open, readJson, RecordingLogger, tempStore } from './helpers.js'

const PASS = 'correct horse battery staple'

function tokensOf(n: number): string[] {
  const a = account(n)
  return [a.accessToken, a.refreshToken, a.idToken as string]
}

async function encryptedStore(): Promise<{ dir: string; file: string }> {
  const paths = await tempStore()
  const { store } = await open({ file: paths.file, passphrase: PASS })
  for (let i = 1; i <= 4; i++) {
    await store.update((d) => {
      d.accounts[`acc${i}`] = account(i)
    })
  }
  store.touch((d) => void d.accounts.acc1.usageCount++)
  await store.close()
  return paths
}

/** The old plugin's writer: a fresh salt per write, compact JSON inside. */
function oldPluginEnvelope(store: unknown, passphrase: string): string {
  const salt = randomBytes(16)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', scryptSync(passphrase, salt, 32), iv)
  const data = Buffer.concat([cipher.update(JSON.stringify(store), 'utf8'), cipher.final()])
  const b64 = (b: Buffer) => b.toString('base64')
  return JSON.stringify(
    { encrypted: true, version: 2, salt: b64(salt), iv: b64(iv), tag: b64(cipher.getAuthTag()), data: b64(data) },
    null,
    2,
  )
}

function openRaw(file: string, passphrase?: string): Promise<AccountStore> {
  return AccountStore.open({ file, passphrase, logger: new RecordingLogger(), clock: new FakeClock() })
}

describe('AccountStore: encryption at rest', () => {
  it('no token appears in any file under the store dir', async () => {
    const { dir, file } = await encryptedStore()
    const files = await allFiles(dir)
    expect([...files.keys()].map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      'accounts.json',
      'accounts.json.bak',
      'accounts.json.lkg',
    ])
    for (const [path, bytes] of files) {
      const text = bytes.toString('utf8')
      for (let i = 1; i <= 4; i++)
        for (const token of tokensOf(i)) expect(text.includes(token), `${token} in ${path}`).toBe(false)
    }
    // Still readable with the passphrase, counters included.
    const store = await openRaw(file, PASS)
    expect(store.data.accounts.acc1.usageCount).toBe(1)
    expect(Object.keys(store.data.accounts)).toHaveLength(4)
    await store.close()
  })

  it('without a passphrase: StoreEncryptedError, and every file is left byte-identical', async () => {
    const { dir, file } = await encryptedStore()
    const before = await allFiles(dir)
    const err = await openRaw(file).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreEncryptedError)
    expect((err as Error).message).toMatch(/OPENCODE_MULTI_AUTH_PASSPHRASE|--passphrase-file/)
    expect(await allFiles(dir)).toEqual(before)
  })

  it('with a wrong passphrase: StoreEncryptedError, and every file is left byte-identical', async () => {
    const { dir, file } = await encryptedStore()
    const before = await allFiles(dir)
    await expect(openRaw(file, 'wrong')).rejects.toBeInstanceOf(StoreEncryptedError)
    expect(await allFiles(dir)).toEqual(before)
  })

  it('derives the key once for 20 updates, reusing the salt with a fresh IV per write', async () => {
    const { file } = await tempStore()
    let calls = 0
    const kdf: Kdf = (p, s) => {
      calls++
      return scryptKdf(p, s)
    }
    const { store } = await open({ file, passphrase: PASS, kdf })
    const ivs = new Set<string>()
    const salts = new Set<string>()
    for (let i = 0; i < 20; i++) {
      await store.update((d) => {
        d.accounts[`acc${i}`] = account(i)
      })
      const envelope = await readJson(file)
      ivs.add(envelope.iv as string)
      salts.add(envelope.salt as string)
    }
    expect(calls).toBe(1)
    expect(ivs.size).toBe(20)
    expect(salts.size).toBe(1)
  })

  it("reads the old plugin's encrypted v1 store, keeping its salt", async () => {
    const { dir, file } = await tempStore()
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const original = oldPluginEnvelope(
      { version: 1, accounts: { old: { ...account(9), alias: undefined } }, activeAlias: 'old' },
      PASS,
    )
    await writeFile(file, original, { mode: 0o600 })

    const { store } = await open({ file, passphrase: PASS })
    expect(store.data.accounts.old).toMatchObject({ alias: 'old', accessToken: 'access-token-SECRET-9' })
    expect(await readFile(`${file}.pre-migration-1.bak`, 'utf8')).toBe(original)
    const rewritten = await readJson(file)
    expect(rewritten.encrypted).toBe(true)
    expect(rewritten.salt).toBe((JSON.parse(original) as { salt: string }).salt)
  })

  it('encrypts a plaintext store at open when a passphrase is set', async () => {
    const { dir, file } = await tempStore()
    const plain = await open({ file })
    await plain.store.update((d) => {
      d.accounts.acc1 = account(1)
    })
    await plain.store.update((d) => {
      d.accounts.acc2 = account(2)
    })
    await plain.store.close()

    const { store } = await open({ file, passphrase: PASS })
    expect(store.encrypted).toBe(true)
    for (const [path, bytes] of await allFiles(dir)) {
      for (const token of [...tokensOf(1), ...tokensOf(2)])
        expect(bytes.toString('utf8').includes(token), path).toBe(false)
    }
  })
})
