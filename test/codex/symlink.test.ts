/**
 * auth.json as a symbolic link (a dotfile manager's, say): the daemon writes
 * through it only when the target is a private regular file of this user, so
 * the link stays a link and the target never keeps a spent refresh token;
 * otherwise it leaves both alone, warns, and `codex.sync` says why.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { describeSync } from '../../client/cli/commands/codex.js'
import type { FakeIssuer, IssuedTokens } from '../fakes/issuer.js'
import type { TestApp } from '../helpers/app.js'
import { closedAfterEach } from '../helpers/issuer-app.js'
import { alice, authJsonFor, bob, pairFor, readJson, until, writeInPlace } from './helpers.js'

const daemons = closedAfterEach()
const stored = (app: TestApp, alias: string) => app.app.components.store.data.accounts[alias]
const logText = (app: TestApp): string => (existsSync(app.dirs.logFile) ? readFileSync(app.dirs.logFile, 'utf8') : '')

interface Linked {
  app: TestApp
  issuer: FakeIssuer
  file: string
  target: string
  issued: IssuedTokens
}

/** auth.json → a file in another directory holding alice's pair with `mode` (or nothing when `dangling`). */
async function linked(mode: number, dangling = false): Promise<Linked> {
  const { app, issuer } = await daemons.withIssuer()
  const issued = issuer.addAccount(alice)
  const file = app.dirs.codexAuthFile
  const target = join(dirname(dirname(file)), 'dotfiles', 'codex-auth.json')
  mkdirSync(dirname(target), { recursive: true })
  if (!dangling) {
    writeInPlace(target, authJsonFor(issued))
    chmodSync(target, mode)
  }
  mkdirSync(dirname(file), { recursive: true })
  symlinkSync(target, file)
  return { app, issuer, file, target, issued }
}

describe('a symlinked Codex auth.json', () => {
  it('to a private file: the refresh write-back goes through the link, which stays a link', async () => {
    const { app, issuer, file, target, issued } = await linked(0o600)
    await until(() => stored(app, 'alice')?.refreshToken === issued.refreshToken, 'adoption through the link')

    const r = await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled()
    expect(r.results[0]).toMatchObject({ ok: true })
    const acc = stored(app, 'alice')
    expect(acc.refreshToken).not.toBe(issued.refreshToken)

    expect(lstatSync(file).isSymbolicLink()).toBe(true)
    const json = readJson(target)
    expect(json.tokens.access_token).toBe(acc.accessToken)
    expect(json.tokens.refresh_token).toBe(acc.refreshToken)
    expect(statSync(target).mode & 0o777).toBe(0o600)
    // The temp file lived (and died) in the target's directory; none is left anywhere.
    expect(readdirSync(dirname(target))).toEqual(['codex-auth.json'])
    expect(readdirSync(dirname(file)).filter((n) => n.startsWith('.oma-'))).toEqual([])

    const sync = await app.client.call('codex.sync', {})
    expect(sync).toMatchObject({ action: 'unchanged', alias: 'alice', link: { target, writable: true } })
    expect(sync.link?.reason).toBeUndefined()
    expect(describeSync(sync)).toContain(`symbolic link to ${target}; refreshed tokens are written through it`)
    expect(issuer.reuseDetected).toBe(0)
  })

  it("adopts changes to the target after the daemon's own write-through and after a rename in the target's directory", async () => {
    const { app, target, issued } = await linked(0o600)
    const holds = (p: { refreshToken: string }) => () => stored(app, 'alice')?.refreshToken === p.refreshToken
    // Each pair issued later than the last (a pair no newer than the stored one is not adopted).
    const later = (n: number) => pairFor(alice, Math.floor(Date.now() / 1000) + n * 10)
    await until(holds(issued), 'adoption through the link')
    // Our write-through renames a new file over the target: a watch on the old file would be dead now.
    await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled()
    const inPlace = later(1)
    writeInPlace(target, authJsonFor(inPlace)) // Codex before 0.169 writes in place, through the link
    await until(holds(inPlace), 'adoption of an in-place write to the target', 3000)
    const renamed = later(2)
    const tmp = join(dirname(target), '.codex-auth.tmp')
    writeFileSync(tmp, JSON.stringify(authJsonFor(renamed), null, 2), { mode: 0o600 })
    renameSync(tmp, target)
    await until(holds(renamed), "adoption of a rename in the target's directory", 3000)
    const again = later(3)
    writeInPlace(target, authJsonFor(again))
    await until(holds(again), 'adoption of a later in-place write', 3000)
  })

  it('codex use writes another account through a link to a private file', async () => {
    const { app, issuer, file, target, issued } = await linked(0o600)
    await until(() => stored(app, 'alice')?.refreshToken === issued.refreshToken, 'adoption through the link')
    const b = issuer.addAccount(bob)
    await app.client.call('accounts.add', {
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      idToken: b.idToken,
    })
    expect(await app.client.call('codex.use', { alias: 'bob' })).toEqual({ alias: 'bob', path: file })
    expect(lstatSync(file).isSymbolicLink()).toBe(true)
    expect(readJson(target).tokens.refresh_token).toBe(b.refreshToken)
    expect(statSync(target).mode & 0o777).toBe(0o600)
  })

  it('adopts the target of a dangling link once it appears', async () => {
    const { app, target } = await linked(0o600, true)
    await until(async () => (await app.client.call('codex.sync', {})).link?.writable === false, 'the dangling link')
    const p = pairFor(alice)
    writeInPlace(target, authJsonFor(p))
    await until(() => stored(app, 'alice')?.refreshToken === p.refreshToken, 'adoption of the new target', 3000)
    expect((await app.client.call('codex.sync', {})).link).toEqual({ target, writable: true })
  })

  it('to a group-readable file: writes nothing, warns, and codex sync says why', async () => {
    const { app, file, target, issued } = await linked(0o640)
    await until(() => stored(app, 'alice')?.refreshToken === issued.refreshToken, 'adoption through the link')
    const before = readFileSync(target, 'utf8')

    const r = await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled()
    expect(r.results[0]).toMatchObject({ ok: true })
    expect(stored(app, 'alice').refreshToken).not.toBe(issued.refreshToken)

    expect(lstatSync(file).isSymbolicLink()).toBe(true)
    expect(readFileSync(target, 'utf8')).toBe(before)
    expect(statSync(target).mode & 0o777).toBe(0o640)
    expect(readdirSync(dirname(target))).toEqual(['codex-auth.json'])
    await until(() => /does not write through.*write-back of the refreshed tokens/.test(logText(app)), 'the warning')
    const log = logText(app)
    expect(log).toContain('mode 640')
    expect(log).not.toContain(stored(app, 'alice').refreshToken)
    expect(log).not.toContain(issued.refreshToken)

    const sync = await app.client.call('codex.sync', {})
    expect(sync.link).toEqual({
      target,
      writable: false,
      reason: 'the link target is accessible by group/others (mode 640); chmod 600 it',
    })
    expect(describeSync(sync)).toMatch(/symbolic link to .*; the daemon does not write to it: .*mode 640/)
  })

  it('dangling: codex sync says so, and codex use refuses instead of replacing the link', async () => {
    const { app, issuer, file, target } = await linked(0o600, true)
    const sync = await app.client.call('codex.sync', {})
    expect(sync).toMatchObject({ action: 'missing', link: { target, writable: false } })
    expect(sync.link?.reason).toMatch(/dangling/)

    const b = issuer.addAccount(bob)
    await app.client.call('accounts.add', {
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      idToken: b.idToken,
    })
    const err = await app.client.call('codex.use', { alias: 'bob' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: ErrorCode.CONFLICT, data: { alias: 'bob', reason: 'link-refused' } })
    expect((err as Error).message).toMatch(/dangling/)
    expect((err as Error).message).not.toContain(b.refreshToken)
    expect(lstatSync(file).isSymbolicLink()).toBe(true)
    expect(existsSync(target)).toBe(false)
    await until(() => /does not write through/.test(logText(app)), 'the warning')
  })
})
