import { dirname, resolve } from 'node:path'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { Timer } from '../deps.js'
import { KeyCache, newSalt } from './crypto.js'
import { StoreFiles } from './files.js'
import { storeUnavailable } from './errors.js'
import { readForeignWrite } from './foreign-write.js'
import { ensureStoreDir, exists, nodeFs, removeStaleTemps, type FileBytes, type StoreFs } from './fs.js'
import { clonePlain, draftOf } from './draft.js'
import { ownAccounts } from './own-accounts.js'
import { loadStore, type Loaded } from './load.js'
import { makeSealer, type Sealer } from './sealer.js'
import { StoreLock } from './lock.js'
import { SerialQueue } from './serial-queue.js'
import type { StoreOptions } from './options.js'
import type { Account, StoreData } from './schema.js'
import { StoreText } from './store-text.js'
import { trackedView } from './tracked-view.js'

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
  private atRest: FileBytes | undefined
  private onDisk: boolean
  private readonly queue = new SerialQueue()
  private closed = false
  /**
   * The state a running write is making durable (it shares unchanged accounts with `current`),
   * and the touches applied since the snapshot it started from.
   */
  private writing: { next: StoreData; touches: Array<(draft: StoreData) => void> } | undefined
  private readonly text = new StoreText()
  private touchView: { of: StoreData; view: StoreData } | undefined
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
    this.atRest = loaded.atRest && [loaded.atRest]
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
   * Runs `mutate` (synchronous) on a copy once earlier writes are done, writes the copy
   * durably, and only then makes it `data`. Rejects, with `data` unchanged, if the mutator
   * throws or the write fails. The copy is made as the mutator reads (draft.ts). What it
   * returns is the caller's to read, never to change: an account in it may be in the new state.
   */
  update<T>(mutate: (draft: StoreData) => T): Promise<T> {
    if (this.closed) {
      return Promise.reject(new RpcError(ErrorCode.STORE_UNAVAILABLE, 'the account store is closed (daemon stopping)'))
    }
    return this.queue.run(async () => {
      // Another writer's change is reloaded and this change applied on top of it, never over it.
      await this.adoptForeignWrite()
      const draft = draftOf(this.current)
      const result = mutate(draft.data)
      // Changes made after an await would miss the write: mutators must be synchronous.
      if (result instanceof Promise) {
        result.catch(() => {})
        throw new Error('AccountStore.update(): the mutator must be synchronous')
      }
      await this.commit(draft.finish())
      return result
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
    mutate(this.viewOfCurrent())
    if (kind === 'state') this.rev++
    this.touchSeq++
    // A write in flight started from an older snapshot: replay this on its result.
    this.writing?.touches.push(mutate)
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
      await this.files.close()
    } finally {
      await this.lock?.release()
    }
  }

  /**
   * `current` for an in-place change: an account it reads is forgotten by the text cache, and
   * one that the running write shares with `current` is copied there first, so the change made
   * here and its replay on that write's result (commit()) land once each, not twice on one object.
   */
  private viewOfCurrent(): StoreData {
    if (this.touchView?.of !== this.current) {
      const view = trackedView(this.current, (alias: string, account: Account) => {
        this.text.forget(account)
        const writing = this.writing?.next.accounts
        if (writing?.[alias] === account) writing[alias] = clonePlain(account)
      })
      this.touchView = { of: this.current, view }
    }
    return this.touchView.view
  }

  private writeTouches(): Promise<void> {
    return this.queue.run(async () => {
      if (this.persistedTouchSeq === this.touchSeq) return
      try {
        await this.adoptForeignWrite()
        await this.commit(draftOf(this.current).finish())
      } catch (err) {
        this.opts.logger.warn(`usage counters not written to ${this.path}; the next write retries`)
        throw err
      }
    })
  }

  /**
   * After the lock was lost and taken back (the daemon was suspended, the clock
   * jumped), someone else may have written the store meanwhile: if the file is not
   * what we last wrote, reload it. Without the lock nothing is written at all.
   */
  private async adoptForeignWrite(): Promise<void> {
    if (this.lock && !this.lock.held) {
      throw new Error(`not writing ${this.path}: this process lost the store lock to another one (see the log above)`)
    }
    if (!this.lockRetaken) return
    this.lockRetaken = false
    const foreign = await readForeignWrite(this.opts.fs, this.path, this.atRest, this.keys)
    if (!foreign) return
    this.current = foreign.data
    this.atRest = foreign.atRest
    this.opts.logger.error(
      `the store ${this.path} was changed by another process while this daemon had lost its lock; reloaded that version, changes since are applied on top of it (unsaved usage counters may be lost)`,
    )
  }

  /** Writes `next`; only once it is durable does it become the in-memory state. */
  private async commit(next: StoreData): Promise<void> {
    // A mutator may have replaced the map wholesale.
    if (Object.getPrototypeOf(next.accounts) !== null) ownAccounts(next)
    const prepared = this.text.prepare(next)
    if (!prepared.ok) throw new Error(`refusing to write an invalid store (${prepared.invalid})`)
    const seq = this.touchSeq
    const writing: NonNullable<typeof this.writing> = { next, touches: [] }
    this.writing = writing
    try {
      try {
        await this.persist(prepared.bytes)
      } catch (err) {
        throw storeUnavailable(this.opts.logger, this.path, err)
      }
      const view = trackedView(next, (_alias, account) => this.text.forget(account))
      for (const replay of writing.touches) {
        // The write is durable: a counter whose account this update removed must not undo that.
        try {
          replay(view)
        } catch {
          // A replay that no longer applies (its account is gone) is dropped, not an error.
        }
      }
    } finally {
      this.writing = undefined
    }
    this.current = next
    this.rev++
    this.persistedTouchSeq = seq
  }

  private async persist(bytes: FileBytes): Promise<void> {
    // The file we are about to replace, in the form we write (never plaintext with a passphrase).
    const previous = this.onDisk ? (this.atRest ?? (() => this.files.seal(this.text.bytesOf(this.current)))) : undefined
    this.atRest = await this.files.write(bytes, previous)
    this.onDisk = true
  }

  private async afterLoad(loaded: Loaded): Promise<void> {
    if (loaded.migration) await this.files.keepOriginal(loaded.migration)
    if (loaded.rewrite === 'encrypt') this.opts.logger.info(`encrypting ${this.path} at rest`)
    // Write the recovered/migrated state now, so the next start reads a good file.
    if (loaded.rewrite) await this.update(() => {})
    else this.text.prime(this.current)
  }
}
