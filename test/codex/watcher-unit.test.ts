/** The watcher alone, on a manual clock: debounce, the safety net, and errors that must not escape. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuthFileWatcher, DEBOUNCE_MS, SAFETY_NET_MS } from '../../daemon/codex/watcher.js'
import { silentLogger } from '../../daemon/deps.js'
import { FakeClock } from '../helpers/clock.js'

let root: string
let watcher: AuthFileWatcher | undefined
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'oma-watch-'))
})
afterEach(async () => {
  await watcher?.stop()
  watcher = undefined
  rmSync(root, { recursive: true, force: true })
})

/** Advances the clock a debounce at a time (well under a safety-net period) until `done`. */
async function stepUntil(clock: FakeClock, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await clock.advance(DEBOUNCE_MS)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('AuthFileWatcher', () => {
  it('checks once when armed, then every safety-net period, even without any filesystem event', async () => {
    const clock = new FakeClock()
    const reasons: string[] = []
    watcher = new AuthFileWatcher({
      file: join(root, 'a', 'b', 'auth.json'),
      clock,
      logger: silentLogger,
      onChange: async (r) => void reasons.push(r),
    })
    await watcher.start()
    // The directory does not exist: the watch sits on the nearest ancestor.
    expect(watcher.watching).toBe(root)
    await clock.advance(DEBOUNCE_MS)
    expect(reasons).toEqual(['armed:start'])
    await clock.advance(SAFETY_NET_MS)
    // The safety net re-arms the real watch first (file-system work the manual clock
    // cannot hurry): step the clock a debounce at a time until its check has run.
    await stepUntil(clock, () => reasons.length === 2)
    expect(reasons).toEqual(['armed:start', 'safety-net'])
    await clock.advance(SAFETY_NET_MS)
    await stepUntil(clock, () => reasons.length === 3)
    expect(reasons.filter((r) => r === 'safety-net')).toHaveLength(2)
  })

  it('debounces a burst of triggers into one check', async () => {
    const clock = new FakeClock()
    let calls = 0
    watcher = new AuthFileWatcher({
      file: join(root, 'auth.json'),
      clock,
      logger: silentLogger,
      onChange: async () => void calls++,
    })
    await watcher.start()
    await clock.advance(DEBOUNCE_MS)
    calls = 0
    for (let i = 0; i < 10; i++) {
      watcher.trigger('burst')
      await clock.advance(DEBOUNCE_MS / 3)
    }
    expect(calls).toBe(0)
    await clock.advance(DEBOUNCE_MS)
    expect(calls).toBe(1)
  })

  it('a failing check is logged, not thrown, and the watcher keeps going', async () => {
    const clock = new FakeClock()
    const warnings: string[] = []
    let calls = 0
    watcher = new AuthFileWatcher({
      file: join(root, 'auth.json'),
      clock,
      logger: { ...silentLogger, warn: (m) => void warnings.push(m) },
      onChange: async () => {
        calls++
        throw new Error('boom')
      },
    })
    await watcher.start()
    await clock.advance(DEBOUNCE_MS)
    watcher.trigger('again')
    await clock.advance(DEBOUNCE_MS)
    expect(calls).toBe(2)
    expect(warnings).toContain('Codex auth.json check failed')
  })
})
