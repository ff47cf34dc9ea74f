import lockfile from 'proper-lockfile'
import { systemClock, type Clock, type Logger, type Timer } from '../deps.js'
import { StoreLockedError } from './errors.js'
import { AtomicWriter, errnoCode, readIfExists, type StoreFs } from './fs.js'

/**
 * The store lock (docs/architecture.md#invariants, 7): proper-lockfile's lock directory `<file>.lock`,
 * kept fresh by its mtime, plus `<file>.pid` so a refused second daemon can
 * name the first. realpath:false lets us lock a store that does not exist yet.
 */
const STALE_MS = 10_000
const UPDATE_MS = 1_000
/**
 * A live holder touches its lock every UPDATE_MS. When the pid file names a dead
 * process, a lock untouched for longer than this cannot belong to a process that
 * has just taken it, so a restart after a crash waits about a second, not STALE_MS.
 */
const DEAD_HOLDER_AGE_MS = UPDATE_MS + 500
/**
 * A one-shot change holds the lock for a moment (one request, one write). A
 * daemon starting meanwhile waits this long for it rather than failing the start.
 */
export const ONESHOT_WAIT_MS = 10_000
const ONESHOT_MARK = 'oneshot'

export interface AcquireOptions {
  /** We are a one-shot: say so in the pid file, for a daemon that starts meanwhile. */
  oneshot?: boolean
}

export interface LockContext {
  fs: StoreFs
  logger: Logger
  clock: Clock
  /**
   * Compared with file mtimes, so it must be wall time even when `clock` is a
   * test's manual clock. Default: the system clock.
   */
  wallClock?: Clock
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errnoCode(err) === 'EPERM'
  }
}

export class StoreLock {
  readonly lockDir: string
  readonly pidFile: string
  private releaseFn?: () => Promise<void>
  private generation = 0
  private released = false
  private retryTimer?: Timer
  private readonly writer: AtomicWriter
  /** False from a compromise until the lock is ours again. */
  held = false
  /** Runs when a lost lock is ours again: someone may have written the store meanwhile. */
  onRetaken: (() => void) | undefined

  private constructor(
    readonly file: string,
    private readonly ctx: LockContext,
    private readonly oneshot = false,
  ) {
    this.lockDir = `${file}.lock`
    this.pidFile = `${file}.pid`
    this.writer = new AtomicWriter(ctx.fs)
  }

  static async acquire(file: string, ctx: LockContext, opts: AcquireOptions = {}): Promise<StoreLock> {
    const lock = new StoreLock(file, ctx, opts.oneshot)
    try {
      await lock.take(0)
      return lock
    } catch (err) {
      if (errnoCode(err) !== 'ELOCKED') throw err
    }
    const holder = await lock.readHolder()
    if (holder?.oneshot && isAlive(holder.pid)) {
      if (await lock.waitForOneshot(holder.pid)) return lock
    }
    const pid = await lock.readPid()
    if (pid === undefined || isAlive(pid)) throw new StoreLockedError(file, pid)
    // A crashed daemon cannot remove its lock; a restart should take it over, not fail.
    ctx.logger.warn(`store lock ${lock.lockDir} was left by pid ${pid}, which is gone; taking it over`)
    await lock.takeFromDeadHolder()
    return lock
  }

  private async takeFromDeadHolder(): Promise<void> {
    const wall = this.ctx.wallClock ?? systemClock
    const deadline = wall.now() + STALE_MS + UPDATE_MS
    while (wall.now() < deadline) {
      const st = await this.ctx.fs.stat(this.lockDir).catch(() => undefined)
      const age = st ? wall.now() - st.mtimeMs : Infinity
      if (age > DEAD_HOLDER_AGE_MS) {
        if (st) await this.ctx.fs.rmdir(this.lockDir).catch(() => {})
        try {
          return await this.take(0)
        } catch (err) {
          if (errnoCode(err) !== 'ELOCKED') throw err
          const pid = await this.readPid()
          // Someone else won the race for the freed lock.
          if (pid !== undefined && isAlive(pid)) throw new StoreLockedError(this.file, pid)
        }
      }
      await wall.sleep(Math.max(50, DEAD_HOLDER_AGE_MS - age))
    }
    throw new StoreLockedError(this.file, await this.readPid())
  }

  /** Polls for the lock while a one-shot holds it; false when it did not let go in time (or a daemon took it). */
  private async waitForOneshot(pid: number): Promise<boolean> {
    const { clock, logger } = this.ctx
    logger.info(`the store is held by a one-shot change (pid ${pid}); waiting for it`, { pid })
    const deadline = clock.now() + ONESHOT_WAIT_MS
    while (clock.now() < deadline) {
      await clock.sleep(50)
      try {
        await this.take(0)
        return true
      } catch (err) {
        if (errnoCode(err) !== 'ELOCKED') throw err
        const holder = await this.readHolder()
        // The lock is someone else's now, and not a one-shot's: stop waiting.
        if (holder && !holder.oneshot && isAlive(holder.pid)) return false
      }
    }
    return false
  }

  async readPid(): Promise<number | undefined> {
    return (await this.readHolder())?.pid
  }

  /** The pid file: "<pid>" for a daemon, "<pid> oneshot" for a one-shot change. */
  async readHolder(): Promise<{ pid: number; oneshot: boolean } | undefined> {
    const bytes = await readIfExists(this.ctx.fs, this.pidFile).catch(() => undefined)
    const [first, mark] = (bytes?.toString('utf8').trim() ?? '').split(/\s+/)
    const pid = Number.parseInt(first ?? '', 10)
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, oneshot: mark === ONESHOT_MARK } : undefined
  }

  private async take(retries: number): Promise<void> {
    const gen = ++this.generation
    const release = await lockfile.lock(this.file, {
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries,
      // The default handler throws from a timer, which would kill the daemon.
      onCompromised: (err) => void this.onCompromised(err, gen),
    })
    this.releaseFn = release
    try {
      await this.writer.write(this.pidFile, this.oneshot ? `${process.pid} ${ONESHOT_MARK}\n` : `${process.pid}\n`)
    } catch (err) {
      await release().catch(() => {})
      throw err
    }
    this.held = true
  }

  /**
   * Our lock dir vanished or someone else refreshed it. Never throws: say so
   * loudly, then try to take the lock back; if another process holds it now,
   * name it, and keep checking so a lock freed later is taken again.
   */
  async onCompromised(err: Error, gen = this.generation): Promise<void> {
    if (this.released || gen !== this.generation) return
    const { logger } = this.ctx
    logger.error(`the store lock ${this.lockDir} was compromised (${err.message}); re-verifying`)
    this.held = false
    try {
      await this.take(0)
      logger.warn(`re-acquired the store lock ${this.lockDir}`)
      this.onRetaken?.()
      return
    } catch (e) {
      if (this.released) return
      const pid = errnoCode(e) === 'ELOCKED' ? await this.readPid() : undefined
      if (errnoCode(e) !== 'ELOCKED') {
        logger.error(
          `could not re-acquire the store lock ${this.lockDir}: ${e instanceof Error ? e.message : String(e)}`,
        )
      } else if (pid === process.pid) {
        logger.error(`the store lock ${this.lockDir} changed under us; re-checking`)
      } else {
        const who = pid === undefined ? '' : ` (pid ${pid})`
        logger.error(
          `ANOTHER opencode-multi-auth process${who} now holds the store lock ${this.lockDir}: two writers can overwrite each other's changes — stop one of them`,
          { pid },
        )
      }
    }
    this.scheduleRetry(err)
  }

  private scheduleRetry(err: Error): void {
    if (this.retryTimer) this.ctx.clock.clearTimeout(this.retryTimer)
    const gen = this.generation
    this.retryTimer = this.ctx.clock.setTimeout(() => {
      this.retryTimer = undefined
      void this.onCompromised(err, gen)
    }, STALE_MS)
    this.retryTimer.unref?.()
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    if (this.retryTimer) this.ctx.clock.clearTimeout(this.retryTimer)
    // Pid file first: once the lock dir is gone the next holder may write its own.
    if ((await this.readPid()) === process.pid) await this.ctx.fs.unlink(this.pidFile).catch(() => {})
    // After a compromise proper-lockfile reports ERELEASED: there is nothing left to free.
    await this.releaseFn?.().catch(() => {})
  }
}
