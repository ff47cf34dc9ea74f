import { mkdir, readdir, unlink } from 'node:fs/promises'
import { AtomicWriter, nodeFs } from '../store/fs.js'
import { basename, dirname, join } from 'node:path'

/** Our temp files; the watcher filters by the exact name auth.json, so these never trigger it. */
export const TEMP_PREFIX = '.oma-auth-'

/** Creates the auth file's own directory (from the resolved path, not ~/.codex: docs/architecture.md#lessons-from-the-old-plugin). */
export async function ensureAuthDir(file: string): Promise<string> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return dir
}

const writer = new AtomicWriter(nodeFs)

/**
 * Atomic, durable replace (the store's writer): a 0600 temp file in the same
 * directory, fsync, then — only if `stillOk()` says nothing changed meanwhile —
 * rename over the target and fsync the directory. False when `stillOk()` refuses.
 */
export async function writeAtomic(file: string, bytes: Buffer, stillOk: () => Promise<boolean>): Promise<boolean> {
  await ensureAuthDir(file)
  return writer.write(file, bytes, { tempPrefix: `${TEMP_PREFIX}${basename(file)}-`, beforeRename: stillOk })
}

/** Temp files of ours left by a crash hold live tokens: remove them (we are the only writer of them). */
export async function sweepTemps(file: string): Promise<void> {
  const dir = dirname(file)
  const names = await readdir(dir).catch(() => [] as string[])
  await Promise.all(names.filter((n) => n.startsWith(TEMP_PREFIX)).map((n) => unlink(join(dir, n)).catch(() => {})))
}
