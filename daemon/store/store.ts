import { dirname, resolve } from 'node:path'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { Timer } from '../deps.js'
import { decode, describeInvalid } from './codec.js'
import { KeyCache, newSalt } from './crypto.js'
import { StoreFiles } from './files.js'
import { ensureStoreDir, exists, nodeFs, readIfExists, removeStaleTemps, type StoreFs } from './fs.js'
import { copyOf, ownAccounts } from './own-accounts.js'
import { loadStore, type Loaded } from './load.js'
import { makeSealer, type Sealer } from './sealer.js'
import { StoreLock } from './lock.js'
import { SerialQueue } from './serial-queue.js'
import type { StoreOptions } from './options.js'
import type { StoreData } from './schema.js'

export { StoreEncryptedError, StoreLockedError, StoreVersionError } from './errors.js'

export type { StoreOptions } from './options.js'

/**
 * Hot-path counters (usage counts, the rotation cursor) are written at most this often, and on
 * close. At 1000 accounts a write is a ~1 MB file: serving tokens must not rewrite it at a steady
 * rate. A kill -9 loses at most this much counting; token pairs never wait for it (update()).
 */
export const TOUCH_DELAY_MS = 5_000

/**
 * The account store: loaded once, held in memory, every change written
 * durably (docs/architecture.md#invariants, 8-10) and serialized through one promise chain.
 */
export class AccountStore {
  private current: StoreData
  private atRest: Buffer | undefined
  private onDisk: boolean
  private readonly queue = new SerialQueue()
  private closed = false
  /** Touches applied since the snapshot a running write started from. */
  private touchedDuringWrite: Array<(draft: StoreData) => void> | undefined
  private touchSeq = 0
  private persistedTouchSeq = 0
  private touchTimer: Timer | undefined
  private rev = 0
  private readonly files: StoreFiles
  private readonly recovered: string | undefined
  /** Set when a lost lock was taken back: check for a foreign write before the next write. */
  private lockRetaken = false

  private constructor(
    readonly path: string,
    private readonly opts: StoreOptions & { fs: StoreFs },
    private readonly keys: KeyCache | undefined,
    private readonly salt: Buffer | undefined,
    private readonly lock: StoreLock | undefined,
    loaded: Loaded,
    onDisk: boolean,
  ) {
    this.current = ownAccounts(loaded.data)
    this.atRest = loaded.atRest
    this.onDisk = onDisk
    this.recovered = loaded.recoveredFrom
    this.files = new StoreFiles({
      path,
      fs: opts.fs,
      keys,
      salt,
      logger: opts.logger,
      clock: opts.clock,
      ...(opts.onDurable ? { onDurable: opts.onDurable } : {}),
    })
    if (lock) lock.onRetaken = () => (this.lockRetaken = true)
  }

  static async open(options: StoreOptions): Promise<AccountStore> {
    const opts = { ...options, fs: options.fs ?? nodeFs }
    const file = resolve(opts.file)
    await ensureStoreDir(opts.fs, dirname(file), opts.logger)
    const lock = opts.lock === false ? undefined : await StoreLock.acquire(file, opts, { oneshot: opts.oneshot })
    try {
      // Without the lock another writer may own these temps.
      if (lock) await removeStaleTemps(opts.fs, file, opts.logger)
      const keys = opts.passphrase ? new KeyCache(opts.passphrase, opts.kdf) : undefined
      const loaded = await loadStore({ file, fs: opts.fs, keys, logger: opts.logger, clock: opts.clock })
      const salt = keys ? (loaded.salt ?? newSalt()) : undefined
      const store = new AccountStore(file, opts, keys, salt, lock, loaded, await exists(opts.fs, file))
      await store.afterLoad(loaded)
      return store
    } catch (err) {
      await lock?.release()
      throw err
    }
  }

  /** The live state (touch() changes it in place): read it, never mutate it. */
  get data(): Readonly<StoreData> {
    return this.current
  }

  /**
   * Moves on with every change but counters: a new state from update(), or an in-place
   * touch(…, 'state') such as limits read from headers. Selection caches by it.
   */
  get revision(): number {
    return this.rev
  }

  get encrypted(): boolean {
    return this.keys !== undefined
  }

  /** Seals files kept beside the store (the usage history) the way the store itself is sealed. */
  sealer(version: number): Sealer {
    return makeSealer(this.keys, this.salt, version)
  }

  get recoveredFrom(): string | undefined {
    return this.recovered
  }

  /**
   * Runs `mutate` (synchronous) on a deep copy once earlier writes are done,
   * writes the copy durably, and only then makes it `data`. Rejects, with
   * `data` unchanged, if the mutator throws or the write fails.
   */
  update<T>(mutate: (draft: StoreData) => T): Promise<T> {
    if (this.closed) {
      return Promise.reject(new RpcError(ErrorCode.STORE_UNAVAILABLE, 'the account store is closed (daemon stopping)'))
    }
    return this.enqueue(async () => {
      const apply = (): { draft: StoreData; result: T } => {
        const draft = copyOf(this.current)
        const result = mutate(draft)
        // Changes made after an await would miss the write: mutators must be synchronous.
        if (result instanceof Promise) {
          result.catch(() => {})
          throw new Error('AccountStore.update(): the mutator must be synchronous')
        }
        return { draft, result }
      }
      let next = apply()
      // Another writer's change is reloaded and this change applied on top of it, never over it.
      if (await this.adoptForeignWrite()) next = apply()
      await this.commit(next.draft)
      return next.result
    })
  }

  /**
   * Hot-path changes: applied now, written by one coalesced write about TOUCH_DELAY_MS later.
   * 'counters' (usage counts, the rotation cursor) leave `revision` alone; anything else that
   * selection reads (limits) must say 'state'. Never a token: those go through update().
   */
  touch(mutate: (draft: StoreData) => void, kind: 'counters' | 'state' = 'state'): void {
    if (this.closed) {
      // A late usage count during shutdown is not worth failing a request over.
      this.opts.logger.warn(`ignored a usage update after the store ${this.path} was closed`)
      return
    }
    mutate(this.current)
    if (kind === 'state') this.rev++
    this.touchSeq++
    // A write in flight started from an older snapshot: replay this on its result.
    this.touchedDuringWrite?.push(mutate)
    if (!this.touchTimer) {
      this.touchTimer = this.opts.clock.setTimeout(() => {
        this.touchTimer = undefined
        this.writeTouches().catch(() => {})
      }, TOUCH_DELAY_MS)
    }
  }

  /** Resolves once the writes queued so far are done; unlike flush(), pending counters stay pending. */
  idle(): Promise<void> {
    return this.queue.idle()
  }

  async flush(): Promise<void> {
    if (this.touchTimer) {
      this.opts.clock.clearTimeout(this.touchTimer)
      this.touchTimer = undefined
      await this.writeTouches()
    }
    await this.queue.idle()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.flush()
    } finally {
      await this.lock?.release()
    }
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.run(job)
  }

  private writeTouches(): Promise<void> {
    return this.enqueue(async () => {
      if (this.persistedTouchSeq === this.touchSeq) return
      try {
        await this.adoptForeignWrite()
        await this.commit(copyOf(this.current))
      } catch (err) {
        this.opts.logger.warn(`usage counters not written to ${this.path}; the next write retries`)
        throw err
      }
    })
  }

  /**
   * After the lock was lost and taken back (the daemon was suspended, the clock
   * jumped), someone else may have written the store meanwhile: compare the file
   * with what we last wrote, and if it changed, reload it (true). Without the lock
   * nothing is written at all. Invariant 17 of docs/architecture.md.
   */
  private async adoptForeignWrite(): Promise<boolean> {
    if (this.lock && !this.lock.held) {
      throw new Error(`not writing ${this.path}: this process lost the store lock to another one (see the log above)`)
    }
    if (!this.lockRetaken) return false
    this.lockRetaken = false
    const bytes = await readIfExists(this.opts.fs, this.path)
    if (!bytes || (this.atRest && bytes.equals(this.atRest))) return false
    const decoded = await decode(bytes, this.keys)
    if (decoded.kind !== 'ok') {
      throw new Error(
        `not writing ${this.path}: another process changed it while we had lost the lock, and it does not load (${decoded.kind})`,
      )
    }
    this.current = ownAccounts(decoded.data)
    this.atRest = decoded.encrypted === Boolean(this.keys) ? bytes : undefined
    this.opts.logger.error(
      `the store ${this.path} was changed by another process while this daemon had lost its lock; reloaded that version, changes since are applied on top of it (unsaved usage counters may be lost)`,
    )
    return true
  }

  /** Writes `next`; only once it is durable does it become the in-memory state. */
  private async commit(next: StoreData): Promise<void> {
    // A mutator may have replaced the map wholesale.
    if (Object.getPrototypeOf(next.accounts) !== null) ownAccounts(next)
    const invalid = describeInvalid(next)
    if (invalid) throw new Error(`refusing to write an invalid store (${invalid})`)
    const seq = this.touchSeq
    this.touchedDuringWrite = []
    try {
      try {
        await this.persist(next)
      } catch (err) {
        throw this.unavailable(err)
      }
      for (const replay of this.touchedDuringWrite) {
        // The write is durable: a counter whose account this update removed must not undo that.
        try {
          replay(next)
        } catch {
          // A replay that no longer applies (its account is gone) is dropped, not an error.
        }
      }
    } finally {
      this.touchedDuringWrite = undefined
    }
    this.current = next
    this.rev++
    this.persistedTouchSeq = seq
  }

  /**
   * The one place a failed write becomes STORE_UNAVAILABLE: the cause (a path
   * and an errno, never a token) goes to the log, the caller gets the code.
   */
  private unavailable(err: unknown): RpcError {
    this.opts.logger.error('could not write the account store', {
      path: this.path,
      error: err instanceof Error ? err.message : String(err),
    })
    return new RpcError(
      ErrorCode.STORE_UNAVAILABLE,
      'the account store could not be written (disk full or read-only?); see the daemon log',
    )
  }

  private async persist(next: StoreData): Promise<void> {
    // The file we are about to replace, in the form we write (never plaintext with a passphrase).
    const previous = this.onDisk ? (this.atRest ?? (await this.files.encode(this.current))) : undefined
    this.atRest = await this.files.write(next, previous)
    this.onDisk = true
  }

  private async afterLoad(loaded: Loaded): Promise<void> {
    if (loaded.migration) await this.files.keepOriginal(loaded.migration)
    if (loaded.rewrite === 'encrypt') this.opts.logger.info(`encrypting ${this.path} at rest`)
    // Write the recovered/migrated state now, so the next start reads a good file.
    if (loaded.rewrite) await this.update(() => {})
  }
}
