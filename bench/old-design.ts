import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { storeSchema, type StoreData } from '../daemon/store/schema.js'

/**
 * What the old in-process plugin paid on every request: read the whole store,
 * decrypt it (deriving the scrypt key again), parse, validate, pick and count,
 * encrypt (another key derivation), and write it back atomically.
 */
export function oldSelection(file: string, passphrase: string | undefined, n: number): void {
  const raw = readFileSync(file, 'utf8')
  let json = JSON.parse(raw) as Record<string, unknown>
  if (passphrase && json.encrypted) {
    const e = json as { salt: string; iv: string; tag: string; data: string }
    const key = scryptSync(passphrase, Buffer.from(e.salt, 'base64'), 32)
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'))
    d.setAuthTag(Buffer.from(e.tag, 'base64'))
    json = JSON.parse(Buffer.concat([d.update(Buffer.from(e.data, 'base64')), d.final()]).toString('utf8')) as Record<
      string,
      unknown
    >
  }
  const store = storeSchema.parse(json)
  const aliases = Object.keys(store.accounts)
  const alias = aliases[n % aliases.length]
  store.accounts[alias].usageCount = (store.accounts[alias].usageCount ?? 0) + 1
  store.accounts[alias].lastUsed = Date.now()
  store.activeAlias = alias
  writeStore(file, store, passphrase)
}

export function writeStore(file: string, store: StoreData, passphrase: string | undefined): void {
  let text = JSON.stringify(store, null, 2)
  if (passphrase) {
    const salt = randomBytes(16)
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', scryptSync(passphrase, salt, 32), iv)
    const data = Buffer.concat([c.update(text, 'utf8'), c.final()])
    text = JSON.stringify({
      encrypted: true,
      version: 2,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    })
  }
  const tmp = join(dirname(file), `.old-${process.pid}.tmp`)
  const fd = openSync(tmp, 'w', 0o600)
  writeSync(fd, text)
  fsyncSync(fd)
  closeSync(fd)
  renameSync(tmp, file)
}
