import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import lockfile from 'proper-lockfile'

/**
 * Serializes "is a daemon answering? no: spawn one" across every client on the
 * machine, so ten clients starting at once make one daemon, not ten that race
 * for the store lock. A holder that dies leaves a lock that goes stale.
 */
export async function withSpawnLock<T>(lockPath: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true, mode: 0o700 })
  const release = await lockfile.lock(lockPath, {
    realpath: false,
    lockfilePath: lockPath,
    stale: 20_000,
    update: 2_000,
    retries: { retries: Math.ceil(waitMs / 100), minTimeout: 25, maxTimeout: 100, factor: 1.2 },
    // Losing the lock mid-start only risks a second spawn, which the store lock still refuses.
    onCompromised: () => {},
  })
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
