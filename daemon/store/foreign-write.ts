import { decode } from './codec.js'
import type { KeyCache } from './crypto.js'
import { readIfExists, sameBytes, type FileBytes, type StoreFs } from './fs.js'
import { ownAccounts } from './own-accounts.js'
import type { StoreData } from './schema.js'

/**
 * After the lock was lost and taken back, the store file as another process may have left it:
 * undefined when it still holds what we wrote (`atRest`), else its state, and its bytes when
 * they are in the form we write. A foreign file that does not load stops every write.
 * Invariant 17 of docs/architecture.md.
 */
export async function readForeignWrite(
  fs: StoreFs,
  path: string,
  atRest: FileBytes | undefined,
  keys: KeyCache | undefined,
): Promise<{ data: StoreData; atRest: FileBytes | undefined } | undefined> {
  const bytes = await readIfExists(fs, path)
  if (!bytes || (atRest && sameBytes(bytes, atRest))) return undefined
  const decoded = await decode(bytes, keys)
  if (decoded.kind !== 'ok') {
    throw new Error(
      `not writing ${path}: another process changed it while we had lost the lock, and it does not load (${decoded.kind})`,
    )
  }
  return { data: ownAccounts(decoded.data), atRest: decoded.encrypted === Boolean(keys) ? [bytes] : undefined }
}
