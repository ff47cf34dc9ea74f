/**
 * The write-back's care around Codex's own writes: the re-read just before the
 * rename (Codex wins if it wrote meanwhile) and the flock(1) on auth.lock.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { identityFromTokens } from '../../daemon/auth/jwt.js'
import type { IncomingTokens } from '../../daemon/accounts/upsert.js'
import { flockCommandLock, noLock, type CodexLock, type SpawnFn } from '../../daemon/codex/lock.js'
import { writePair, type WriteContext } from '../../daemon/codex/writeback.js'
import { CodexFileWriter } from '../../daemon/codex/writer.js'
import { nodeFs } from '../../daemon/store/fs.js'
import { silentLogger, systemClock } from '../../daemon/deps.js'
import type { Account } from '../../daemon/store/schema.js'
import { alice, authJsonFor, bob, pairFor, readJson, writeInPlace, type Pair } from './helpers.js'

let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oma-codex-'))
  file = join(dir, 'auth.json')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function account(p: Pair): Account {
  const id = identityFromTokens(p)
  return { ...p, accountId: id.accountId, userId: id.userId, email: id.email, expiresAt: id.exp ?? 0, usageCount: 0 }
}

function ctx(
  over: Partial<WriteContext> & { lock?: CodexLock } = {},
): WriteContext & { adopted: IncomingTokens[]; written: string[] } {
  const adopted: IncomingTokens[] = []
  const written: string[] = []
  return {
    file,
    clock: systemClock,
    logger: silentLogger,
    lock: noLock,
    writer: new CodexFileWriter(nodeFs),
    adopt: async (t) => void adopted.push(t),
    wrote: (h) => void written.push(h),
    adopted,
    written,
    ...over,
  }
}

const now = (): number => Math.floor(Date.now() / 1000)

describe('writePair', () => {
  it('adopts instead of overwriting when Codex writes a newer pair of the same account during our write', async () => {
    const held = pairFor(alice, now() - 300)
    writeInPlace(file, authJsonFor(held))
    const ours = pairFor(alice, now() - 100)
    const codexs = pairFor(alice, now())
    let once = false
    const c = ctx({
      beforeRename: async () => {
        if (once) return
        once = true
        writeInPlace(file, authJsonFor(codexs))
      },
    })
    expect(await writePair(c, account(ours), 'refresh')).toBe('adopted')
    expect(readJson(file).tokens.refresh_token).toBe(codexs.refreshToken)
    expect(c.adopted.map((t) => t.refreshToken)).toEqual([codexs.refreshToken])
    expect(c.written).toEqual([])
  })

  it('switching accounts first keeps what the file holds for the other account (read under the lock)', async () => {
    // Codex rotated alice's pair after the daemon last looked: that pair is the only live one.
    const aliceNew = pairFor(alice, now())
    writeInPlace(file, authJsonFor(aliceNew))
    const c = ctx()
    expect(await writePair(c, account(pairFor(bob, now() - 10)), 'switch')).toBe('written')
    expect(c.adopted.map((t) => t.refreshToken)).toEqual([aliceNew.refreshToken])
  })

  it('backs off when Codex switched to another account during our write', async () => {
    writeInPlace(file, authJsonFor(pairFor(alice, now() - 300)))
    const other = pairFor(bob)
    let once = false
    const c = ctx({
      beforeRename: async () => {
        if (once) return
        once = true
        writeInPlace(file, authJsonFor(other))
      },
    })
    expect(await writePair(c, account(pairFor(alice)), 'refresh')).toBe('not-held')
    expect(readJson(file).tokens.refresh_token).toBe(other.refreshToken)
  })

  it('writes over an older pair of the same account when nothing changed meanwhile', async () => {
    writeInPlace(file, authJsonFor(pairFor(alice, now() - 300)))
    const ours = pairFor(alice)
    const c = ctx()
    expect(await writePair(c, account(ours), 'refresh')).toBe('written')
    expect(readJson(file).tokens.refresh_token).toBe(ours.refreshToken)
    expect(c.written).toHaveLength(1)
  })

  it("keeps the file's id_token when the account has none (same account)", async () => {
    const held = pairFor(alice, now() - 300)
    writeInPlace(file, authJsonFor(held))
    const ours = pairFor(alice)
    const acc = account(ours)
    delete acc.idToken
    expect(await writePair(ctx(), acc, 'refresh')).toBe('written')
    expect(readJson(file).tokens.id_token).toBe(held.idToken)
  })

  const hasFlock = spawnSync('flock', ['--version']).status === 0
  it.skipIf(!hasFlock)("waits for Codex's flock on auth.lock before replacing the file", async () => {
    writeInPlace(file, authJsonFor(pairFor(alice, now() - 300)))
    // Stand-in for Codex holding the lock while it writes: held ~600 ms.
    const holder = spawn('flock', ['-x', join(dir, 'auth.lock'), 'sh', '-c', 'echo held; sleep 0.6'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    await new Promise<void>((resolve) =>
      holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve()),
    )
    const released = new Promise<number>((resolve) => holder.once('close', () => resolve(Date.now())))
    const lock = flockCommandLock({ spawn, clock: systemClock, logger: silentLogger, waitMs: 5000 })
    const outcome = await writePair(ctx({ lock }), account(pairFor(alice)), 'refresh')
    const doneAt = Date.now()
    expect(outcome).toBe('written')
    expect(doneAt).toBeGreaterThanOrEqual(await released)
  })

  it('spawns flock(1) through the injected spawn, and releases by closing its stdin', async () => {
    const calls: string[][] = []
    const fake: SpawnFn = ((cmd: string, args: readonly string[], o: SpawnOptions) => {
      calls.push([cmd, ...args])
      // Stands in for flock: reports the lock at once and holds it until stdin closes.
      return spawn('sh', ['-c', 'echo locked; exec cat >/dev/null'], o)
    }) as SpawnFn
    const lock = flockCommandLock({ spawn: fake, clock: systemClock, logger: silentLogger, command: 'my-flock' })
    const release = await lock.acquire(dir)
    expect(calls).toHaveLength(1)
    expect(calls[0].slice(0, 5)).toEqual(['my-flock', '-x', '-w', '3', join(dir, 'auth.lock')])
    await release()
  })

  it('writes anyway (with the re-read check) when flock(1) is not installed', async () => {
    writeInPlace(file, authJsonFor(pairFor(alice, now() - 300)))
    const lock = flockCommandLock({
      spawn,
      clock: systemClock,
      logger: silentLogger,
      command: join(dir, 'no-such-flock'),
    })
    expect(await writePair(ctx({ lock }), account(pairFor(alice)), 'refresh')).toBe('written')
  })

  it('stops spawning a flock(1) that fails at once, and says so once', async () => {
    const counter = join(dir, 'spawned')
    const fake = join(dir, 'broken-flock')
    writeFileSync(fake, `#!/bin/sh\necho x >> ${counter}\nexit 1\n`, { mode: 0o755 })
    const lines: string[] = []
    const logger = { ...silentLogger, warn: (m: string) => void lines.push(m) }
    const lock = flockCommandLock({ spawn, clock: systemClock, logger, command: fake })
    for (let i = 0; i < 3; i++) await (await lock.acquire(dir))()
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1)
    expect(lines.filter((l) => l.includes('failed at once'))).toHaveLength(1)
  })

  it.skipIf(!hasFlock)('a real flock(1) that locks and releases quickly stays in use', async () => {
    const lock = flockCommandLock({ spawn, clock: systemClock, logger: silentLogger, waitMs: 3000 })
    await (
      await lock.acquire(dir)
    )()
    const release = await lock.acquire(dir)
    // While we hold it, another locker cannot get it.
    const probe = spawnSync('flock', ['-n', join(dir, 'auth.lock'), 'true'])
    await release()
    expect(probe.status).not.toBe(0)
  })
})
