import type { Clock, Logger } from '../deps.js'
import { encodeAtRest, sealAtRest } from './codec.js'
import type { KeyCache } from './crypto.js'
import { AtomicWriter, exists, type StoreFs } from './fs.js'
import type { Loaded } from './load.js'
import type { StoreData } from './schema.js'

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

  constructor(private readonly deps: StoreFilesDeps) {
    this.writer = new AtomicWriter(deps.fs)
  }

  encode(data: StoreData): Promise<Buffer> {
    return encodeAtRest(data, this.deps.keys, this.deps.salt)
  }

  /**
   * The store file first: a refreshed pair exists nowhere else until this fsync
   * (the old refresh token is spent), so nothing is written before it. The
   * backup (`previous`, the file being replaced) and the last-known-good copy follow.
   * Returns the bytes now on disk.
   */
  async write(next: StoreData, previous: Buffer | undefined): Promise<Buffer> {
    const { path, logger } = this.deps
    const bytes = await this.encode(next)
    await this.writer.write(path, bytes)
    this.deps.onDurable?.()
    for (const [copy, content] of [
      [`${path}.bak`, previous],
      [`${path}.lkg`, bytes],
    ] as const) {
      if (!content) continue
      try {
        // A recovery copy: its rename is made durable by the next write's directory sync
        // (a crash before that leaves the older copy, which is still valid).
        await this.writer.write(copy, content, { syncDir: false })
      } catch (err) {
        // The store itself is durable; a stale copy only weakens recovery.
        logger.warn(`could not write ${copy}: ${(err as Error).message}`)
      }
    }
    return bytes
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
