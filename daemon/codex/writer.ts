import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Our temp files; the watcher filters by the exact name auth.json, so these never trigger it. */
export const TEMP_PREFIX = '.oma-auth-'

/** Creates the auth file's own directory (seed fix A5: from the resolved path, not ~/.codex). */
export async function ensureAuthDir(file: string): Promise<string> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  return dir
}

/**
 * Atomic, durable replace: a 0600 temp file in the same directory, fsync,
 * then — only if `stillOk()` says nothing changed meanwhile — rename over the
 * target and fsync the directory. Returns false (and leaves the target alone)
 * when `stillOk()` refuses.
 */
export async function writeAtomic(file: string, bytes: Buffer, stillOk: () => Promise<boolean>): Promise<boolean> {
  const dir = await ensureAuthDir(file)
  const tmp = join(dir, `${TEMP_PREFIX}${basename(file)}-${randomBytes(6).toString('hex')}`)
  const fh = await open(tmp, 'wx', 0o600)
  let renamed = false
  try {
    try {
      await fh.writeFile(bytes)
      await fh.sync()
    } finally {
      await fh.close()
    }
    if (!(await stillOk())) return false
    await rename(tmp, file)
    renamed = true
  } finally {
    if (!renamed) await unlink(tmp).catch(() => {})
  }
  await fsyncDir(dir)
  return true
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is done.
  }
}
