import type * as z from 'zod'
import { DecryptError, decrypt, encrypt, envelopeSchema, type KeyCache } from './crypto.js'
import type { FileBytes } from './fs.js'
import { migrate, type Migration } from './migrate.js'
import { CURRENT_STORE_VERSION, storeSchema, type StoreData } from './schema.js'

/**
 * Bytes ↔ StoreData. Decoding never throws for bad content: it says what is
 * wrong so the loader can choose between recovery and refusing to start.
 */
export type Decoded =
  | {
      kind: 'ok'
      data: StoreData
      encrypted: boolean
      /** The salt of an encrypted file, reused for our writes so the key is derived once. */
      salt?: Buffer
      migratedFrom?: Migration
    }
  | { kind: 'corrupt'; reason: string }
  /** Encrypted, and we have no passphrase. */
  | { kind: 'locked' }
  /** Encrypted, and our passphrase does not open it. */
  | { kind: 'bad-key' }
  | { kind: 'newer'; version: number }

export function encode(data: StoreData): string {
  return `${JSON.stringify(data, null, 2)}\n`
}

/** The file's bytes (StoreText's, equal to encode()) in the form kept at rest. */
export async function bytesAtRest(
  bytes: FileBytes,
  keys: KeyCache | undefined,
  salt: Buffer | undefined,
): Promise<FileBytes> {
  if (!keys || !salt) return bytes
  const envelope = encrypt(Buffer.concat(bytes).toString('utf8'), await keys.key(salt), salt, CURRENT_STORE_VERSION)
  return [Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8')]
}

/**
 * Raw bytes of another copy (a pre-migration original, a corrupt file moved
 * aside) in the form we keep at rest: sealed with the store's key when there
 * is one, unless they already are an encrypted envelope.
 */
export async function sealAtRest(bytes: Buffer, keys: KeyCache | undefined, salt: Buffer | undefined): Promise<Buffer> {
  if (!keys || !salt) return bytes
  const parsed = parseJson(bytes.toString('utf8'))
  const value = parsed.ok ? parsed.value : undefined
  if (typeof value === 'object' && value !== null && (value as { encrypted?: unknown }).encrypted === true) return bytes
  const envelope = encrypt(bytes.toString('utf8'), await keys.key(salt), salt, CURRENT_STORE_VERSION)
  return Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8')
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    // V8's message quotes the input, which may hold a token: never pass it on.
    return { ok: false }
  }
}

/** Paths and codes only: zod messages can echo the offending value. `at` is where the checked value sits. */
export function describeIssues(error: z.ZodError, at: readonly PropertyKey[] = []): string[] {
  return error.issues.map((i) => `${[...at, ...i.path].map(String).join('.') || '(root)'}: ${i.code}`)
}

function describe(error: z.ZodError): string {
  return describeIssues(error).slice(0, 5).join('; ')
}

export async function decode(bytes: Buffer, keys: KeyCache | undefined): Promise<Decoded> {
  const outer = parseJson(bytes.toString('utf8'))
  if (!outer.ok) return { kind: 'corrupt', reason: 'not valid JSON' }
  let value = outer.value
  let encrypted = false
  let salt: Buffer | undefined
  if (typeof value === 'object' && value !== null && (value as { encrypted?: unknown }).encrypted === true) {
    const envelope = envelopeSchema.safeParse(value)
    if (!envelope.success) return { kind: 'corrupt', reason: `bad encrypted envelope: ${describe(envelope.error)}` }
    if (!keys) return { kind: 'locked' }
    encrypted = true
    salt = Buffer.from(envelope.data.salt, 'base64')
    let text: string
    try {
      text = decrypt(envelope.data, await keys.key(salt))
    } catch (err) {
      if (err instanceof DecryptError) return { kind: 'bad-key' }
      throw err
    }
    const inner = parseJson(text)
    if (!inner.ok) return { kind: 'corrupt', reason: 'decrypted content is not valid JSON' }
    value = inner.value
  }
  const migrated = migrate(value)
  if (migrated.newerVersion !== undefined) return { kind: 'newer', version: migrated.newerVersion }
  const parsed = storeSchema.safeParse(migrated.value)
  if (!parsed.success) return { kind: 'corrupt', reason: `schema: ${describe(parsed.error)}` }
  return { kind: 'ok', data: parsed.data, encrypted, salt, migratedFrom: migrated.from }
}
