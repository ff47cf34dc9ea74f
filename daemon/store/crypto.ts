import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import * as z from 'zod'

/**
 * The at-rest envelope, byte-compatible with the old plugin: AES-256-GCM, key
 * = scrypt(passphrase, salt, 32) with Node's default cost, 12-byte IV, all
 * binary fields base64.
 */
export const envelopeSchema = z.looseObject({
  encrypted: z.literal(true),
  version: z.number().optional(),
  salt: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  data: z.string(),
})
export type Envelope = z.infer<typeof envelopeSchema>

export const SALT_BYTES = 16
const IV_BYTES = 12
const KEY_BYTES = 32

export type Kdf = (passphrase: string, salt: Buffer) => Promise<Buffer>

export const scryptKdf: Kdf = (passphrase, salt) =>
  new Promise((resolve, reject) => {
    scrypt(passphrase, salt, KEY_BYTES, (err, key) => (err ? reject(err) : resolve(key)))
  })

/** Authentication failed: wrong key, or the ciphertext was altered. */
export class DecryptError extends Error {
  constructor() {
    super('decryption failed (wrong passphrase or damaged data)')
    this.name = 'DecryptError'
  }
}

/**
 * scrypt is deliberately slow (~50 ms): derive once per salt and keep the key,
 * so no write or read on the hot path pays for it.
 */
export class KeyCache {
  private readonly keys = new Map<string, Promise<Buffer>>()

  constructor(
    private readonly passphrase: string,
    private readonly kdf: Kdf = scryptKdf,
  ) {}

  key(salt: Buffer): Promise<Buffer> {
    const id = salt.toString('base64')
    let key = this.keys.get(id)
    if (!key) {
      key = this.kdf(this.passphrase, salt)
      this.keys.set(id, key)
      // A failed derivation must not poison the cache.
      key.catch(() => this.keys.delete(id))
    }
    return key
  }
}

export function newSalt(): Buffer {
  return randomBytes(SALT_BYTES)
}

export function encrypt(plaintext: string, key: Buffer, salt: Buffer, version: number): Envelope {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return {
    encrypted: true,
    version,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  }
}

export function decrypt(envelope: Envelope, key: Buffer): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'))
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'))
    return Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8')
  } catch {
    throw new DecryptError()
  }
}
