/**
 * Watches the directory that holds auth.json (docs/architecture.md#invariants, 13): a watch on the
 * file itself dies when Codex renames a new file over it.
 *
 * - The watch sits on the auth file's directory, or — while that directory
 *   does not exist — on its nearest existing ancestor, and moves down (or back
 *   up) as directories appear and disappear ("re-arming").
 * - Events are filtered by name (only auth.json, or the directories on the way
 *   to it) and debounced; the consumer drops duplicates by content hash.
 * - A slow safety-net tick re-checks the file and the watch, in case an event
 *   was lost (network filesystems, inotify limits, a directory swapped away).
 * - Nothing here throws into the daemon: every callback is guarded.
 */
import { stat } from 'node:fs/promises'
import { dirname, sep } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import type { Clock, Logger, Timer } from '../deps.js'

export const DEBOUNCE_MS = 75
export const SAFETY_NET_MS = 60_000
/** After an event, how soon to check whether the watched directory itself went away. */
const VERIFY_AFTER_MS = 250
const REARM_RETRY_MS = 1000

export interface WatcherOptions {
  file: string
  clock: Clock
  logger: Logger
  /** Called (debounced, never concurrently) when auth.json may have changed. */
  onChange(reason: string): Promise<void>
  debounceMs?: number
  safetyNetMs?: number
}

export class AuthFileWatcher {
  private readonly dir: string
  private fsw: FSWatcher | undefined
  private armedOn: string | undefined
  private armedId: string | undefined
  private stopped = true
  private debounceTimer: Timer | undefined
  private safetyTimer: Timer | undefined
  private verifyTimer: Timer | undefined
  private armChain: Promise<void> = Promise.resolve()
  private running = false
  private again: string | undefined

  constructor(private readonly opts: WatcherOptions) {
    this.dir = dirname(opts.file)
  }

  /** Where the watch sits now (the auth file's directory or an ancestor); for tests and status. */
  get watching(): string | undefined {
    return this.armedOn
  }

  async start(): Promise<void> {
    this.stopped = false
    await this.rearm('start')
    this.scheduleSafetyNet()
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of [this.debounceTimer, this.safetyTimer, this.verifyTimer]) if (t) this.opts.clock.clearTimeout(t)
    this.debounceTimer = this.safetyTimer = this.verifyTimer = undefined
    await this.armChain
    await this.closeWatch()
  }

  /** Serialized: moves the watch to the nearest existing directory on the way to auth.json. */
  private rearm(reason: string): Promise<void> {
    const next = this.armChain
      .then(() => this.doArm(reason))
      .catch((err: unknown) => {
        this.opts.logger.warn('could not watch the Codex auth directory; retrying', { error: errText(err) })
        this.later(REARM_RETRY_MS, () => void this.rearm('retry'))
      })
    this.armChain = next
    return next
  }

  private async doArm(reason: string): Promise<void> {
    if (this.stopped) return
    const target = await nearestExistingDir(this.dir)
    const id = await dirIdentity(target)
    if (target === this.armedOn && id === this.armedId && this.fsw) return
    await this.closeWatch()
    const fsw = watch(target, {
      ignoreInitial: true,
      depth: 0,
      ignorePermissionErrors: true,
      ignored: (p: string) => !this.relevant(target, p),
    })
    fsw.on('all', (event, path) => this.onEvent(event, path))
    fsw.on('error', (err) => {
      this.opts.logger.warn('Codex auth watcher error; re-arming', { error: errText(err) })
      // Close the broken watch first: re-arming an unchanged target keeps an existing one.
      this.later(REARM_RETRY_MS, () => void this.closeWatch().then(() => this.rearm('error')))
    })
    await new Promise<void>((resolve) => {
      const t = this.opts.clock.setTimeout(resolve, 2000)
      fsw.once('ready', () => {
        this.opts.clock.clearTimeout(t)
        resolve()
      })
    })
    this.fsw = fsw
    this.armedOn = target
    this.armedId = id
    this.opts.logger.debug('watching for Codex auth.json changes', { dir: target, reason, exact: target === this.dir })
    // Whatever happened before the watch was in place is only seen by looking.
    this.trigger(`armed:${reason}`)
  }

  private relevant(target: string, p: string): boolean {
    if (p === target || p === this.opts.file) return true
    // A directory on the way from the watched ancestor down to auth.json's directory.
    return p.startsWith(target === sep ? target : target + sep) && (p === this.dir || this.dir.startsWith(p + sep))
  }

  private onEvent(event: string, path: string): void {
    if (this.stopped) return
    if (path === this.opts.file) {
      this.trigger(event)
      // rm -rf + mkdir + write can arrive as a plain "change" (chokidar folds unlink+add):
      // after any event, check that the watched directory is still the one on disk.
      this.scheduleVerify()
      return
    }
    // A directory appeared or vanished on the way to auth.json, or the watched one itself went.
    if (event === 'addDir' || event === 'unlinkDir') void this.rearm(`${event}`)
  }

  /** Debounced call of onChange; never two at once, and a change during a run is not lost. */
  trigger(reason: string): void {
    if (this.stopped) return
    if (this.debounceTimer) this.opts.clock.clearTimeout(this.debounceTimer)
    this.debounceTimer = this.opts.clock.setTimeout(() => {
      this.debounceTimer = undefined
      void this.fire(reason)
    }, this.opts.debounceMs ?? DEBOUNCE_MS)
    unref(this.debounceTimer)
  }

  private async fire(reason: string): Promise<void> {
    if (this.running) {
      this.again = reason
      return
    }
    this.running = true
    try {
      await this.opts.onChange(reason)
    } catch (err) {
      this.opts.logger.warn('Codex auth.json check failed', { error: errText(err) })
    } finally {
      this.running = false
    }
    const pending = this.again
    this.again = undefined
    if (pending !== undefined && !this.stopped) this.trigger(pending)
  }

  /** The directory may have been removed or swapped for a new one: re-arm if so. */
  private scheduleVerify(): void {
    if (this.verifyTimer) return
    this.verifyTimer = this.later(VERIFY_AFTER_MS, () => {
      this.verifyTimer = undefined
      void this.rearm('verify')
    })
  }

  private scheduleSafetyNet(): void {
    this.safetyTimer = this.later(this.opts.safetyNetMs ?? SAFETY_NET_MS, () => {
      void this.rearm('safety-net').then(() => {
        this.trigger('safety-net')
        if (!this.stopped) this.scheduleSafetyNet()
      })
    })
  }

  private later(ms: number, fn: () => void): Timer | undefined {
    if (this.stopped) return undefined
    const t = this.opts.clock.setTimeout(() => {
      if (this.stopped) return
      try {
        fn()
      } catch (err) {
        this.opts.logger.warn('Codex auth watcher timer failed', { error: errText(err) })
      }
    }, ms)
    unref(t)
    return t
  }

  private async closeWatch(): Promise<void> {
    const fsw = this.fsw
    this.fsw = undefined
    this.armedOn = undefined
    this.armedId = undefined
    if (fsw) await fsw.close().catch(() => {})
  }
}

async function nearestExistingDir(dir: string): Promise<string> {
  let cur = dir
  for (;;) {
    try {
      if ((await stat(cur)).isDirectory()) return cur
    } catch {
      // missing: try the parent
    }
    const parent = dirname(cur)
    if (parent === cur) return cur
    cur = parent
  }
}

/**
 * Tells a directory from one recreated at the same path. Inode numbers are
 * reused at once (ext4 hands a rm -rf'd directory's inode to the next mkdir),
 * so the birth time goes with it; where the filesystem has none, the change
 * time stands in (it also moves when entries change, which costs a harmless
 * re-arm and re-check).
 */
async function dirIdentity(dir: string): Promise<string | undefined> {
  try {
    const st = await stat(dir)
    return `${st.dev}:${st.ino}:${st.birthtimeMs || st.ctimeMs}`
  } catch {
    return undefined
  }
}

function unref(t: Timer | undefined): void {
  t?.unref?.()
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
