import type { Clock, Logger } from '../deps.js'
import { bytesAtRest, sealAtRest } from './codec.js'
import type { KeyCache } from './crypto.js'
import { AtomicWriter, exists, type FileBytes, type StoreFs } from './fs.js'
import type { Loaded } from './load.js'
import { Spares } from './spares.js'

export interface StoreFilesDeps {
  path: string
  fs: StoreFs
  keys: KeyCache | undefined
  salt: Buffer | undefined
  logger: Logger
  clock: Clock
  /** Runs each time the store file itself is durable. */
  onDurable?: () => void
}

/**
 * The files of one store on disk: the store file, its `.bak` and `.lkg` recovery copies and
 * the pre-migration original, every one in the at-rest form (sealed with a passphrase).
 */
export class StoreFiles {
  private readonly writer: AtomicWriter
  private readonly spares: Spares
  /** The bytes this process last wrote to `.lkg` (undefined when unknown: at start, after a failure). */
  private lkgHolds: FileBytes | undefined
  /** Whether `.bak` is a file this process wrote (so in the form it writes, and safe to keep as a spare). */
  private bakOurs = false

  constructor(private readonly deps: StoreFilesDeps) {
    this.writer = new AtomicWriter(deps.fs)
    this.spares = new Spares(deps.fs, () => this.writer.tempFor(deps.path))
  }

  /** Removes the spare files (store close). */
  close(): Promise<void> {
    return this.spares.clear()
  }

  /** File bytes (StoreText.prepare) in the form kept at rest. */
  seal(bytes: FileBytes): Promise<FileBytes> {
    return bytesAtRest(bytes, this.deps.keys, this.deps.salt)
  }

  /**
   * The store file first: a refreshed pair exists nowhere else until this fsync
   * (the old refresh token is spent), so nothing is written before it. The
   * backup (`previous`, the file being replaced; undefined when there was none) and the
   * last-known-good copy follow. Returns the bytes now on disk.
   */
  async write(next: FileBytes, previous: FileBytes | (() => Promise<FileBytes>) | undefined): Promise<FileBytes> {
    const bytes = await this.seal(next)
    // `previous` as bytes: the file being replaced is in our form (see keepReplaced).
    await this.writer.write(this.deps.path, bytes, { spares: this.spares, keepReplaced: Array.isArray(previous) })
    this.deps.onDurable?.()
    if (previous) await this.keepBackup(previous)
    if (await this.copy(`${this.deps.path}.lkg`, () => Promise.resolve(bytes), false)) this.lkgHolds = bytes
    return bytes
  }

  /**
   * `.bak` is the file just replaced. When `.lkg` holds exactly those bytes (we wrote them
   * there last time), renaming it over `.bak` makes that copy without writing it again; the
   * fresh `.lkg` follows. Every name points at a complete, fsync'd file at every instant, so a
   * crash between the steps leaves older copies or a missing `.lkg`, never a bad one.
   */
  private async keepBackup(previous: FileBytes | (() => Promise<FileBytes>)): Promise<void> {
    const { path, fs } = this.deps
    const held = this.lkgHolds
    this.lkgHolds = undefined
    if (held !== undefined && held === previous) {
      try {
        if (this.bakOurs) await this.spares.keep(`${path}.bak`)
        await fs.rename(`${path}.lkg`, `${path}.bak`)
        this.bakOurs = true
        return
      } catch {
        // .lkg went missing (removed by hand?): write the backup out instead.
      }
    }
    const bytes = typeof previous === 'function' ? previous : () => Promise.resolve(previous)
    this.bakOurs = (await this.copy(`${path}.bak`, bytes, this.bakOurs)) || this.bakOurs
  }

  /** True once written. Never throws: the store file is durable already, a stale copy only weakens recovery. */
  private async copy(target: string, bytes: () => Promise<FileBytes>, keepReplaced: boolean): Promise<boolean> {
    try {
      // A recovery copy: its rename is made durable by the next write's directory sync
      // (a crash before that leaves the older copy, which is still valid).
      await this.writer.write(target, await bytes(), { syncDir: false, spares: this.spares, keepReplaced })
      return true
    } catch (err) {
      this.deps.logger.warn(`could not write ${target}: ${(err as Error).message}`)
      return false
    }
  }

  /** Keeps the original of a migrated store beside it; with a passphrase sealed too, as it holds the same tokens. */
  async keepOriginal(migration: NonNullable<Loaded['migration']>): Promise<void> {
    const { path, keys, salt, logger } = this.deps
    const backup = await this.freeName(`${path}.pre-migration-${migration.from}.bak`)
    await this.writer.write(backup, await sealAtRest(migration.bytes, keys, salt))
    logger.info(`migrated ${path} from layout ${migration.from} to v2; original kept at ${backup}`)
  }

  private async freeName(path: string): Promise<string> {
    const { fs, clock } = this.deps
    if (!(await exists(fs, path))) return path
    const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, '-')
    let candidate = path.replace(/\.bak$/, `.${stamp}.bak`)
    for (let n = 1; await exists(fs, candidate); n++) candidate = path.replace(/\.bak$/, `.${stamp}-${n}.bak`)
    return candidate
  }
}
