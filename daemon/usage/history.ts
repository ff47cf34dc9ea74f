import type { Timer } from '../deps.js'
import { SerialQueue } from '../store/serial-queue.js'
import type { Account, StoreData } from '../store/schema.js'
import { addSample, bucketAt, compact, HOUR_MS, type Sample, type StoredBucket } from './buckets.js'
import { encodeHistory, loadHistory, type AccountHistory, type UsageFileDeps } from './file.js'

/** Changes are written at most this often, by one coalesced write off the request path. */
export const USAGE_WRITE_DELAY_MS = 2_000

/** Who an account is: a removed and re-added account is someone new to the history. */
export function identityKey(a: Account): string {
  return `${a.accountId ?? ''}|${a.accountUserId ?? a.userId ?? ''}|${a.addedAt ?? ''}`
}

/**
 * Per-account usage history in memory, written to its own file. record() is the hot
 * path: a few additions into the current hour's bucket, nothing else.
 */
export class UsageHistory {
  private readonly accounts = new Map<string, AccountHistory>()
  private timer: Timer | undefined
  private dirty = false
  private readonly queue = new SerialQueue()
  private closed = false

  private constructor(private readonly deps: UsageFileDeps & { data: () => Readonly<StoreData> }) {}

  static async open(deps: UsageFileDeps & { data: () => Readonly<StoreData> }): Promise<UsageHistory> {
    const h = new UsageHistory(deps)
    for (const [alias, entry] of await loadHistory(deps)) h.accounts.set(alias, entry)
    // A removal the last run did not get to write (or one made without the daemon) still counts.
    if (h.reconcile() || h.compactAll()) h.schedule()
    return h
  }

  get path(): string {
    return this.deps.path
  }

  record(alias: string, sample: Sample): void {
    const acc = this.deps.data().accounts[alias]
    if (!acc || this.closed) return
    const now = this.deps.clock.now()
    let entry = this.accounts.get(alias)
    const key = identityKey(acc)
    if (!entry || entry.key !== key) {
      entry = { key, hours: [], days: [] }
      this.accounts.set(alias, entry)
    }
    addSample(bucketAt(entry.hours, Math.floor(now / HOUR_MS) * HOUR_MS, 1), sample)
    this.schedule()
  }

  /** The account is gone: so is its history (written soon, and dropped at load if that write was lost). */
  forget(alias: string): void {
    if (this.accounts.delete(alias)) this.schedule()
  }

  /** Hour and day buckets of an account, oldest first (live arrays: read, never change them). */
  of(alias: string): { hours: readonly StoredBucket[]; days: readonly StoredBucket[] } {
    const acc = this.deps.data().accounts[alias]
    const entry = this.accounts.get(alias)
    if (!acc || !entry || entry.key !== identityKey(acc)) return { hours: [], days: [] }
    // Ageing happens on read too: an idle daemon never shows what is past retention.
    if (compact(entry, this.deps.clock.now())) this.schedule()
    return entry
  }

  /** Drops histories whose account is gone or is another account now. */
  reconcile(): boolean {
    const data = this.deps.data()
    let changed = false
    for (const [alias, entry] of this.accounts) {
      const acc = Object.hasOwn(data.accounts, alias) ? data.accounts[alias] : undefined
      if (!acc || identityKey(acc) !== entry.key) {
        this.accounts.delete(alias)
        changed = true
      }
    }
    return changed
  }

  async flush(): Promise<void> {
    if (this.timer) {
      this.deps.clock.clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.dirty) await this.write()
    await this.queue.idle()
  }

  async close(): Promise<void> {
    await this.flush()
    this.closed = true
  }

  private compactAll(): boolean {
    const now = this.deps.clock.now()
    let changed = false
    for (const entry of this.accounts.values()) changed = compact(entry, now) || changed
    return changed
  }

  private schedule(): void {
    this.dirty = true
    if (this.timer || this.closed) return
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined
      void this.write()
    }, USAGE_WRITE_DELAY_MS)
    this.timer.unref?.()
  }

  /** One write at a time; a change made while one runs is picked up by the next. */
  private write(): Promise<void> {
    return this.queue.run(async () => {
      if (!this.dirty) return
      this.dirty = false
      this.compactAll()
      try {
        const bytes = await this.deps.sealer.seal(encodeHistory(this.accounts))
        await this.deps.writer.write(this.deps.path, bytes)
      } catch (err) {
        // History is worth less than the request path: log, retry at the next change.
        this.dirty = true
        this.deps.logger.warn(`could not write the usage history ${this.deps.path}: ${(err as Error).message}`)
      }
    })
  }
}
