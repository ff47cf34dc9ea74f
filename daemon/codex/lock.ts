/**
 * Mutual exclusion with the Codex CLI while we rewrite its auth.json.
 *
 * Codex 0.169 takes flock(LOCK_EX) on `$CODEX_HOME/auth.lock` around its own
 * re-read + write. Node has no flock(2), so we borrow util-linux's `flock(1)`:
 * a child `flock -x -w <s> auth.lock sh -c 'echo locked; exec cat'` prints a
 * line once it holds the lock and keeps it until we close its stdin (or we die,
 * which closes the pipe too — a crashed daemon never leaves the lock held).
 *
 * Where `flock(1)` is missing (macOS, minimal images) or the lock is not
 * granted in time, the write still goes ahead: the writer re-reads the file
 * just before its rename and backs off if Codex changed it, which closes all
 * but a window of microseconds. Skipping the write would be worse: auth.json
 * would keep a refresh token we have already spent.
 */
import type { spawn } from 'node:child_process'
import { join } from 'node:path'
import { childEnv } from '../../protocol/child-env.js'
import type { Clock, Logger } from '../deps.js'

export type Release = () => Promise<void>

export interface CodexLock {
  /** Resolves with a release function; never rejects (a missing lock is logged and tolerated). */
  acquire(dir: string): Promise<Release>
}

const noop: Release = async () => {}

export const noLock: CodexLock = { acquire: () => Promise.resolve(noop) }

export type SpawnFn = typeof spawn

export interface FlockOptions {
  /** child_process.spawn, from the composition root (tests inject a fake). */
  spawn: SpawnFn
  clock: Clock
  logger: Logger
  /** How long to wait for Codex to release the lock. Default 3000 ms. */
  waitMs?: number
  /** The flock(1) executable. Default `flock` from PATH. */
  command?: string
  /** The environment flock runs with; default a minimal one from ours (never the passphrase). */
  env?: Record<string, string | undefined>
}

export function flockCommandLock(opts: FlockOptions): CodexLock {
  const waitMs = opts.waitMs ?? 3000
  const command = opts.command ?? 'flock'
  let unavailable = false
  return {
    async acquire(dir: string): Promise<Release> {
      if (unavailable) return noop
      const lockFile = join(dir, 'auth.lock')
      const secs = Math.max(1, Math.ceil(waitMs / 1000)).toString()
      let child
      try {
        child = opts.spawn(command, ['-x', '-w', secs, lockFile, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
          stdio: ['pipe', 'pipe', 'ignore'],
          env: childEnv(opts.env ?? process.env),
          cwd: '/',
        })
      } catch {
        unavailable = true
        return noop
      }
      const proc = child
      const startedAt = opts.clock.now()
      let quickExit = false
      const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()))
      const granted = await new Promise<boolean>((resolve) => {
        let out = ''
        const timer = opts.clock.setTimeout(() => resolve(false), waitMs + 1000)
        let answered = false
        const done = (ok: boolean): void => {
          answered = true
          opts.clock.clearTimeout(timer)
          resolve(ok)
        }
        proc.stdout?.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('locked')) done(true)
        })
        proc.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') {
            unavailable = true
            opts.logger.info('flock(1) not found: writing Codex auth.json with the re-read check only')
          }
          done(false)
        })
        proc.once('close', (code) => {
          // Gone long before its wait was up: this flock cannot lock here (BusyBox without -w,
          // no permission on the lock file). Say so once and stop spawning it per write.
          if (!answered && opts.clock.now() - startedAt < waitMs / 2) {
            quickExit = true
            unavailable = true
            opts.logger.warn(
              `flock(1) failed at once (exit ${code}); writing Codex auth.json with the re-read check only`,
            )
          }
          done(false)
        })
      })
      proc.stdin?.on('error', () => {})
      const release: Release = async () => {
        proc.stdin?.end()
        let t: ReturnType<Clock['setTimeout']> | undefined
        const late = new Promise<void>((resolve) => {
          t = opts.clock.setTimeout(() => {
            proc.kill('SIGKILL')
            resolve()
          }, 2000)
        })
        await Promise.race([exited, late])
        if (t) opts.clock.clearTimeout(t)
      }
      if (!granted) {
        if (!unavailable && !quickExit)
          opts.logger.warn(`could not take ${lockFile} within ${waitMs} ms; writing with the re-read check only`)
        await release()
        return noop
      }
      return release
    },
  }
}
