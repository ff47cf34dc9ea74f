import * as fsp from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { APP } from '../../protocol/paths.js'
import type { Logger } from '../deps.js'
import type { Spares } from './spares.js'

/**
 * The file-system calls the store makes, as a seam: tests run as root, so a
 * read-only directory cannot make a write fail; an injected `rename` can.
 */
export type StoreFs = Pick<
  typeof fsp,
  'open' | 'rename' | 'readFile' | 'unlink' | 'mkdir' | 'chmod' | 'stat' | 'readdir' | 'rmdir' | 'link'
>

export const nodeFs: StoreFs = fsp

/**
 * A file's bytes as pieces, in order (the store keeps each account's piece from one write to
 * the next, so no write copies them into one big buffer). Never changed once made.
 */
export type FileBytes = readonly Buffer[]

export function byteLength(bytes: FileBytes): number {
  return bytes.reduce((n, b) => n + b.length, 0)
}

/** Whether `file` holds exactly `bytes`. */
export function sameBytes(file: Buffer, bytes: FileBytes): boolean {
  if (file.length !== byteLength(bytes)) return false
  let at = 0
  for (const piece of bytes) {
    if (!file.subarray(at, at + piece.length).equals(piece)) return false
    at += piece.length
  }
  return true
}

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

function piecesOf(bytes: Uint8Array | string | FileBytes): FileBytes {
  if (Array.isArray(bytes)) return bytes as FileBytes
  if (typeof bytes === 'string') return [Buffer.from(bytes, 'utf8')]
  const view = bytes as Uint8Array
  return [Buffer.from(view.buffer, view.byteOffset, view.byteLength)]
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

  /** A fresh temp file name for `target` (the default prefix is `.<target name>.tmp-`). */
  tempFor(target: string, prefix = `.${basename(target)}.tmp-`): string {
    return join(dirname(target), `${prefix}${this.pid}-${++this.seq}`)
  }

  /**
   * Writes `bytes` over `target`. `beforeRename` runs once the temp file is durable; when
   * it answers false the target is left alone and write() returns false.
   */
  async write(target: string, bytes: Uint8Array | string | FileBytes, opts: WriteOptions = {}): Promise<boolean> {
    const dir = dirname(target)
    const { spares } = opts
    const spare = spares?.take()
    const reused = spare === undefined ? undefined : await this.reopen(spare, spares)
    const tmp = spare !== undefined && reused ? spare : this.tempFor(target, opts.tempPrefix)
    let handle = reused?.handle
    try {
      handle ??= await this.fs.open(tmp, 'w', FILE_MODE)
      // A leftover temp of the same name (pid reuse after a crash) keeps its old mode.
      if (reused?.mode !== FILE_MODE) await handle.chmod(FILE_MODE)
      const pieces = piecesOf(bytes)
      const { bytesWritten } = await handle.writev(pieces)
      // libuv writes all of it or fails; a short write must never be renamed into place.
      if (bytesWritten !== byteLength(pieces)) throw new Error(`short write to ${tmp}`)
      // A spare may have been longer: cut what is left of its old content.
      if (reused && reused.size > bytesWritten) await handle.truncate(bytesWritten)
      await handle.sync()
      await handle.close()
      handle = undefined
      if (opts.beforeRename && !(await opts.beforeRename())) {
        await this.fs.unlink(tmp).catch(() => {})
        return false
      }
      if (opts.keepReplaced) await spares?.keep(target)
      await this.fs.rename(tmp, target)
    } catch (err) {
      await handle?.close().catch(() => {})
      await this.fs.unlink(tmp).catch(() => {})
      throw err
    }
    if (opts.syncDir !== false) {
      await syncDir(this.fs, dir)
      spares?.synced()
    }
    return true
  }

  /** A spare opened for overwriting, or undefined (dropped) when it is not ours alone. */
  private async reopen(
    spare: string,
    spares: Spares | undefined,
  ): Promise<{ handle: fsp.FileHandle; size: number; mode: number } | undefined> {
    let handle: fsp.FileHandle | undefined
    try {
      handle = await this.fs.open(spare, 'r+')
      const st = await handle.stat()
      // A second link (a rename that failed after the spare was linked, a user's hard link)
      // means the file is still read under another name: never overwrite it.
      if (st.isFile() && st.nlink === 1) return { handle, size: st.size, mode: st.mode & 0o777 }
    } catch {
      // Gone or unreadable: a fresh temp file does the job.
    }
    await handle?.close().catch(() => {})
    await spares?.drop(spare)
    return undefined
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
  /** Overwrite one of these spares instead of a fresh temp file. */
  spares?: Spares
  /**
   * Keep the replaced file as a spare. Only for a file in the form this process writes: a
   * plaintext file being encrypted must not linger on disk as a spare.
   */
  keepReplaced?: boolean
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
