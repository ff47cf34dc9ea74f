/**
 * docs/architecture.md#invariants, 13, against a real in-process daemon: whatever way Codex (or a user)
 * changes auth.json, the daemon adopts it; an older file never wins; our own
 * write is not read back as news.
 */
import { mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeSync, closeSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TestApp } from '../helpers/app.js'
import { closedAfterEach } from '../helpers/issuer-app.js'
import { alice, authJsonFor, pairFor, until, writeInPlace, type Pair } from './helpers.js'

const daemons = closedAfterEach()
const start = (): Promise<TestApp> => daemons.app()

const stored = (app: TestApp, alias = 'alice') => app.app.components.store.data.accounts[alias]
const adopted = (app: TestApp, p: Pair) => () =>
  stored(app)?.accessToken === p.accessToken && stored(app)?.refreshToken === p.refreshToken
const now = (): number => Math.floor(Date.now() / 1000)

/** Writes `p` to auth.json in place and waits until the daemon holds it. */
async function writeAdopted(app: TestApp, p: Pair, what: string): Promise<void> {
  writeInPlace(app.dirs.codexAuthFile, authJsonFor(p))
  await until(adopted(app, p), what)
}

/** A daemon that has adopted a first auth.json pair issued `ageS` seconds ago. */
async function startAdopted(ageS: number): Promise<{ app: TestApp; file: string }> {
  const app = await start()
  await writeAdopted(app, pairFor(alice, now() - ageS), 'first pair')
  return { app, file: app.dirs.codexAuthFile }
}

describe('Codex auth.json watcher', () => {
  it('adopts a file that appears after start, in a directory that did not exist', async () => {
    const app = await start()
    const file = app.dirs.codexAuthFile
    expect(app.app.components.codex.watching).not.toBe(dirname(file))
    const p = pairFor(alice)
    await writeAdopted(app, p, 'adoption of a new file')
    const acc = stored(app)
    expect(acc.source).toBe('codex')
    expect(acc.idToken).toBe(p.idToken)
    expect(acc.accountId).toBe(alice.accountId)
    expect(acc.userId).toBe(alice.userId)
    // Seed fix A4: expiresAt comes from the JWT, never undefined.
    expect(acc.expiresAt).toBeGreaterThan(Date.now())
    await until(() => app.app.components.codex.watching === dirname(file), 'the watch moving down to the auth dir')
  })

  it('adopts an in-place rewrite', async () => {
    const { app } = await startAdopted(100)
    await writeAdopted(app, pairFor(alice, now()), 'in-place rewrite')
  })

  it('adopts a rename-replace (Codex 0.169 writes a temp file and renames it)', async () => {
    const { app, file } = await startAdopted(100)
    const p2 = pairFor(alice, now())
    const tmp = join(dirname(file), '.auth-abc123')
    writeFileSync(tmp, JSON.stringify(authJsonFor(p2), null, 2), { mode: 0o600 })
    renameSync(tmp, file)
    await until(adopted(app, p2), 'rename-replace')
  })

  it('adopts a file deleted and created again', async () => {
    const { app, file } = await startAdopted(100)
    unlinkSync(file)
    await until(async () => (await app.client.call('codex.sync', {})).action === 'missing', 'the file being missing')
    await writeAdopted(app, pairFor(alice, now()), 'recreated file')
  })

  it('survives its directory being removed and recreated', async () => {
    const { app, file } = await startAdopted(200)
    const dir = dirname(file)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
    await writeAdopted(app, pairFor(alice, now() - 100), 'file in the recreated directory')
    // And the new directory is really watched, not only found once by a re-check.
    await writeAdopted(app, pairFor(alice, now()), 'a later change in the recreated directory')
  })

  it('retries a half-written file and adopts it once it is complete', async () => {
    const app = await start()
    const file = app.dirs.codexAuthFile
    const p = pairFor(alice)
    const text = JSON.stringify(authJsonFor(p), null, 2)
    mkdirSync(dirname(file), { recursive: true })
    const fd = openSync(file, 'w', 0o600)
    writeSync(fd, text.slice(0, Math.floor(text.length / 2)))
    await new Promise((r) => setTimeout(r, 50))
    writeSync(fd, text.slice(Math.floor(text.length / 2)))
    closeSync(fd)
    await until(adopted(app, p), 'the completed file')
    expect(app.app.components.codex.lastResult.action).toMatch(/added|updated/)
  })

  it('never lets an older file overwrite newer stored tokens', async () => {
    const app = await start()
    const file = app.dirs.codexAuthFile
    const newer = pairFor(alice, now())
    const older = pairFor(alice, now() - 3600)
    await app.client.call('accounts.add', { ...newer })
    writeInPlace(file, authJsonFor(older))
    const r = await until(async () => {
      const res = await app.client.call('codex.sync', {})
      return res.action === 'older' ? res : undefined
    }, 'an "older" verdict')
    expect(r.alias).toBe('alice')
    expect(stored(app).accessToken).toBe(newer.accessToken)
    expect(stored(app).refreshToken).toBe(newer.refreshToken)
  })

  it('a newer token from Codex clears auth_invalid', async () => {
    const app = await start()
    const old = pairFor(alice, now() - 100)
    await app.client.call('accounts.add', { ...old })
    await app.app.components.store.update((d) => {
      d.accounts.alice.authInvalid = true
      d.accounts.alice.authInvalidReason = 'token refresh rejected (refresh_token_reused); sign in again'
    })
    expect((await app.client.call('accounts.get', { alias: 'alice' })).health).toBe('auth_invalid')
    await writeAdopted(app, pairFor(alice, now()), 'the fresh pair')
    expect((await app.client.call('accounts.get', { alias: 'alice' })).health).toBe('ok')
  })

  it("does not re-import the daemon's own write", async () => {
    const app = await start()
    const codex = app.app.components.codex
    const p = pairFor(alice, now() - 100)
    await app.client.call('accounts.add', { ...p })
    const before = { ...codex.stats }
    await app.client.call('codex.use', { alias: 'alice' })
    expect(codex.stats.writes).toBe(before.writes + 1)
    // The watcher sees the write, reads it, and drops it by content hash.
    await until(() => codex.stats.duplicates > before.duplicates, 'the watcher to see our write')
    expect(codex.stats.adopted).toBe(before.adopted)
    expect(codex.lastResult.action).not.toBe('updated')
  })

  it('codex.sync reports missing, invalid and API-key files without touching the store', async () => {
    const app = await start()
    const file = app.dirs.codexAuthFile
    expect((await app.client.call('codex.sync', {})).action).toBe('missing')
    writeInPlace(file, { auth_mode: 'apikey', OPENAI_API_KEY: 'sk-test', tokens: null, last_refresh: null })
    expect((await app.client.call('codex.sync', {})).action).toBe('none')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, '{"auth_mode": "chatgpt", "tok')
    const r = await app.client.call('codex.sync', {})
    expect(r.action).toBe('invalid')
    expect(r.path).toBe(file)
    expect(Object.keys(app.app.components.store.data.accounts)).toEqual([])
  })
})
