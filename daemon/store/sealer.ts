import { DecryptError, decrypt, encrypt, envelopeSchema, type KeyCache } from './crypto.js'

/**
 * Text at rest beside the store (the usage history), sealed like the store: with a
 * passphrase an AES-256-GCM envelope under the store's own key and salt, so the key is
 * derived once per process for both; without one, the text as it is.
 */
export type Unsealed =
  | { kind: 'ok'; text: string; encrypted: boolean }
  /** Encrypted, and we have no passphrase. */
  | { kind: 'locked' }
  /** Encrypted, and our passphrase does not open it (or the ciphertext was altered). */
  | { kind: 'bad-key' }
  /** Claims to be encrypted but is no valid envelope. */
  | { kind: 'damaged' }

export interface Sealer {
  readonly encrypted: boolean
  seal(text: string): Promise<Buffer>
  unseal(bytes: Buffer): Promise<Unsealed>
}

function envelopeOf(bytes: Buffer): ReturnType<typeof envelopeSchema.safeParse> | undefined {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || (value as { encrypted?: unknown }).encrypted !== true)
    return undefined
  return envelopeSchema.safeParse(value)
}

export function makeSealer(keys: KeyCache | undefined, salt: Buffer | undefined, version: number): Sealer {
  return {
    encrypted: keys !== undefined && salt !== undefined,
    async seal(text) {
      if (!keys || !salt) return Buffer.from(text, 'utf8')
      return Buffer.from(`${JSON.stringify(encrypt(text, await keys.key(salt), salt, version))}\n`, 'utf8')
    },
    async unseal(bytes) {
      const envelope = envelopeOf(bytes)
      // Not an envelope: plaintext (or damage, which the caller's parser finds).
      if (!envelope) return { kind: 'ok', text: bytes.toString('utf8'), encrypted: false }
      if (!envelope.success) return { kind: 'damaged' }
      if (!keys) return { kind: 'locked' }
      try {
        const text = decrypt(envelope.data, await keys.key(Buffer.from(envelope.data.salt, 'base64')))
        return { kind: 'ok', text, encrypted: true }
      } catch (err) {
        if (err instanceof DecryptError) return { kind: 'bad-key' }
        throw err
      }
    },
  }
}
