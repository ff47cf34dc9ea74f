import { basename, dirname, join } from 'node:path'
import * as z from 'zod'
import type { Clock, Logger } from '../deps.js'
import { errnoCode, readIfExists, type AtomicWriter, type StoreFs } from '../store/fs.js'
import type { Sealer } from '../store/sealer.js'
import { storedBucketSchema, type StoredBucket } from './buckets.js'

/**
 * The usage file beside the store: `<store name>.usage.json`. Loading never stops the
 * daemon: a file that cannot be read as history is set aside and history restarts.
 */
export const USAGE_FILE_VERSION = 1

export interface AccountHistory {
  /** Which account this history belongs to; a re-added account gets a new one (see identityKey). */
  key: string
  hours: StoredBucket[]
  days: StoredBucket[]
}

const MAX_BUCKETS = 24 * 15 + 100

const fileSchema = z.object({
  version: z.literal(USAGE_FILE_VERSION),
  accounts: z.record(
    z.string(),
    z.object({
      key: z.string().max(1000),
      hours: z.array(storedBucketSchema).max(MAX_BUCKETS),
      days: z.array(storedBucketSchema).max(MAX_BUCKETS),
    }),
  ),
})

export function usageFilePath(storeFile: string): string {
  return join(dirname(storeFile), `${basename(storeFile).replace(/\.json$/i, '')}.usage.json`)
}

export interface UsageFileDeps {
  path: string
  fs: StoreFs
  writer: AtomicWriter
  sealer: Sealer
  clock: Clock
  logger: Logger
}

export function encodeHistory(accounts: ReadonlyMap<string, AccountHistory>): string {
  const out: Record<string, AccountHistory> = Object.create(null) as Record<string, AccountHistory>
  for (const [alias, h] of accounts) out[alias] = h
  return JSON.stringify({ version: USAGE_FILE_VERSION, accounts: out })
}

/** Reads the history; anything unreadable is moved aside (sealed when a passphrase is set). */
export async function loadHistory(deps: UsageFileDeps): Promise<Map<string, AccountHistory>> {
  const { path, logger } = deps
  let bytes: Buffer | undefined
  try {
    bytes = await readIfExists(deps.fs, path)
  } catch (err) {
    logger.warn(`could not read the usage history ${path} (${errnoCode(err) ?? 'error'}); starting a new one`)
    return new Map()
  }
  if (!bytes) return new Map()
  const opened = await deps.sealer.unseal(bytes)
  let why: string
  if (opened.kind === 'ok') {
    const parsed = parseJson(opened.text)
    const file = parsed === undefined ? undefined : fileSchema.safeParse(parsed)
    if (file?.success) {
      const map = new Map<string, AccountHistory>()
      for (const [alias, h] of Object.entries(file.data.accounts)) map.set(alias, h)
      return map
    }
    why = parsed === undefined ? 'not valid JSON' : 'not in the usage history format'
  } else {
    why =
      opened.kind === 'locked'
        ? 'encrypted, and no passphrase is set'
        : opened.kind === 'damaged'
          ? 'a damaged encrypted envelope'
          : 'encrypted with another passphrase, or altered'
  }
  const aside = await setAside(deps, bytes, opened.kind === 'ok' && !opened.encrypted)
  logger.warn(
    `the usage history ${path} is unreadable (${why}); kept it as ${aside ?? '(could not keep it)'}, history restarts`,
  )
  return new Map()
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/**
 * Keeps the bad file under a free name. Plaintext bytes are sealed first when a
 * passphrase is set, so nothing set aside is readable without it.
 */
async function setAside(deps: UsageFileDeps, bytes: Buffer, plaintext: boolean): Promise<string | undefined> {
  const stamp = new Date(deps.clock.now()).toISOString().replace(/[:.]/g, '-')
  const target = `${deps.path}.corrupt-${stamp}`
  try {
    if (plaintext && deps.sealer.encrypted) {
      await deps.writer.write(target, await deps.sealer.seal(bytes.toString('base64')))
      await deps.fs.unlink(deps.path).catch(() => {})
    } else {
      await deps.fs.rename(deps.path, target)
    }
    return target
  } catch (err) {
    deps.logger.warn(`could not set aside ${deps.path}: ${(err as Error).message}`)
    return undefined
  }
}
