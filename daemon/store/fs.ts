import * as fsp from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { APP } from '../../protocol/paths.js'
import type { Logger } from '../deps.js'

/**
 * The file-system calls the store makes, as a seam: tests run as root, so a
 * read-only directory cannot make a write fail; an injected `rename` can.
 */
export type StoreFs = Pick<
  typeof fsp,
  'open' | 'rename' | 'readFile' | 'unlink' | 'mkdir' | 'chmod' | 'stat' | 'readdir' | 'rmdir'
>

export const nodeFs: StoreFs = fsp

export const FILE_MODE = 0o600
export const DIR_MODE = 0o700

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}

/** Missing file → undefined; any other error is real and propagates. */
export async function readIfExists(fs: StoreFs, path: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(path)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    throw err
  }
}

export async function exists(fs: StoreFs, path: string): Promise<boolean> {
  try {
    await fs.stat(path)
    return true
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false
    throw err
  }
}

/** A rename is only durable once the directory entry itself is on disk. */
export async function syncDir(fs: StoreFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Temp file in the same directory (rename is atomic only within one file
 * system), fsync, rename over the target, fsync the directory: a crash at any
 * instant leaves either the old file or the new one, never a torn one.
 */
export class AtomicWriter {
  private seq = 0

  /** `pid` names temp files, so a crashed writer's leftovers are told apart from a live one's. */
  constructor(
    private readonly fs: StoreFs,
    private readonly pid: number = process.pid,
  ) {}

  /**
   * Writes `bytes` over `target`. `beforeRename` runs once the temp file is durable; when
   * it answers false the target is left alone and write() returns false.
   */
  async write(target: string, bytes: Uint8Array | string, opts: WriteOptions = {}): Promise<boolean> {
    const dir = dirname(target)
    const tmp = join(dir, `${opts.tempPrefix ?? `.${basename(target)}.tmp-`}${this.pid}-${++this.seq}`)
    let handle: fsp.FileHandle | undefined
    try {
      handle = await this.fs.open(tmp, 'w', FILE_MODE)
      // A leftover temp of the same name (pid reuse after a crash) keeps its old mode.
      await handle.chmod(FILE_MODE)
      await handle.writeFile(bytes)
      await handle.sync()
      await handle.close()
      handle = undefined
      if (opts.beforeRename && !(await opts.beforeRename())) {
        await this.fs.unlink(tmp).catch(() => {})
        return false
      }
      await this.fs.rename(tmp, target)
    } catch (err) {
      await handle?.close().catch(() => {})
      await this.fs.unlink(tmp).catch(() => {})
      throw err
    }
    if (opts.syncDir !== false) await syncDir(this.fs, dir)
    return true
  }
}

export interface WriteOptions {
  /** Temp file name before `<pid>-<n>`; default `.<target name>.tmp-`. */
  tempPrefix?: string
  beforeRename?: () => Promise<boolean>
  /**
   * Default true. False for a file whose rename may be lost in a crash without harm (a copy
   * kept for recovery): the next durable write in the same directory syncs it too.
   */
  syncDir?: boolean
}

/**
 * Creates the store directory 0700. A pre-existing directory is tightened only
 * when it is clearly ours (named after the app): the user may have pointed the
 * store at a directory whose mode is theirs to choose.
 */
export async function ensureStoreDir(fs: StoreFs, dir: string, logger: Logger): Promise<void> {
  let mode: number
  try {
    const st = await fs.stat(dir)
    if (!st.isDirectory()) throw new Error(`the store directory ${dir} exists and is not a directory`)
    mode = st.mode & 0o777
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err
    await fs.mkdir(dir, { recursive: true, mode: DIR_MODE })
    await fs.chmod(dir, DIR_MODE)
    return
  }
  if ((mode & 0o077) === 0) return
  if (basename(dir) === APP) {
    await fs.chmod(dir, DIR_MODE)
    logger.warn(`store directory ${dir} was readable by others (mode ${mode.toString(8)}); set it to 700`)
  } else {
    logger.warn(`store directory ${dir} is accessible by group/others (mode ${mode.toString(8)}); consider chmod 700`)
  }
}

/** Temps left by a writer that crashed; only safe to remove while we hold the lock. */
export async function removeStaleTemps(fs: StoreFs, file: string, logger: Logger): Promise<void> {
  const dir = dirname(file)
  const prefix = `.${basename(file)}`
  const pattern = /\.tmp-\d+-\d+$/
  for (const name of await fs.readdir(dir)) {
    if (!name.startsWith(prefix) || !pattern.test(name)) continue
    await fs.unlink(join(dir, name)).catch(() => {})
    logger.debug(`removed stale temp file ${join(dir, name)}`)
  }
}
