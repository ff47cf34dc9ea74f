/**
 * docs/architecture.md#invariants, 14, end to end: the daemon refreshes the account auth.json holds and
 * writes the new pair there in the shape Codex requires; a refresh Codex makes
 * itself is adopted; codex.use switches the file to another account.
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { isJwt } from '../../daemon/auth/jwt.js'
import { runFakeCodex } from '../fakes/codex-cli.js'
import type { FakeIssuer, IssuedTokens } from '../fakes/issuer.js'
import type { TestApp } from '../helpers/app.js'
import { closedAfterEach } from '../helpers/issuer-app.js'
import { alice, authJsonFor, bob, readJson, until, writeInPlace } from './helpers.js'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const daemons = closedAfterEach()

async function setup(): Promise<{ app: TestApp; issuer: FakeIssuer; file: string }> {
  const { app, issuer } = await daemons.withIssuer()
  return { app, issuer, file: app.dirs.codexAuthFile }
}

const stored = (app: TestApp, alias: string) => app.app.components.store.data.accounts[alias]

/** Exactly what Codex demands of the file (docs/architecture.md#codex-authjson): else it rejects all of it. */
function expectCodexShape(json: ReturnType<typeof readJson>, accountId: string): void {
  expect(json.auth_mode).toBe('chatgpt')
  expect(typeof json.last_refresh).toBe('string')
  expect(Number.isNaN(Date.parse(json.last_refresh as string))).toBe(false)
  expect(isJwt(json.tokens.id_token as string)).toBe(true)
  expect(json.tokens.account_id).toBe(accountId)
  expect(typeof json.tokens.access_token).toBe('string')
  expect(typeof json.tokens.refresh_token).toBe('string')
}

/** What Codex does when it refreshes on its own: spend the token, write the new pair by rename. */
async function codexRefreshes(iss: FakeIssuer, file: string): Promise<IssuedTokens> {
  const cur = readJson(file)
  const res = await fetch(iss.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: iss.clientId,
      grant_type: 'refresh_token',
      refresh_reason: 'proactive_expiry',
      refresh_token: cur.tokens.refresh_token,
    }),
  })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { access_token: string; refresh_token: string; id_token: string }
  const next = {
    ...cur,
    tokens: {
      ...cur.tokens,
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      id_token: body.id_token,
    },
    last_refresh: new Date().toISOString(),
  }
  const tmp = join(dirname(file), '.auth-x1y2z3')
  writeFileSync(tmp, JSON.stringify(next, null, 2), { mode: 0o600 })
  renameSync(tmp, file)
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    idToken: body.id_token,
    expiresIn: 0,
    family: '',
  }
}

describe('write-back to Codex auth.json', () => {
  it("after refreshing the account auth.json holds, the file holds the new pair in Codex's shape", async () => {
    const { app, issuer, file } = await setup()
    const issued = issuer.addAccount(alice)
    const original = authJsonFor(issued, { codex_future_key: { keep: 'me' } })
    writeInPlace(file, { ...original, tokens: { ...original.tokens, extra_token_key: 'kept' } })
    await until(() => stored(app, 'alice')?.accessToken === issued.accessToken, 'adoption')

    const r = await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    expect(r.results).toEqual([expect.objectContaining({ alias: 'alice', ok: true })])
    const acc = stored(app, 'alice')
    expect(acc.refreshToken).not.toBe(issued.refreshToken)

    const json = readJson(file)
    expect(json.tokens.access_token).toBe(acc.accessToken)
    expect(json.tokens.refresh_token).toBe(acc.refreshToken)
    expect(json.tokens.id_token).toBe(acc.idToken)
    expectCodexShape(json, alice.accountId)
    expect(json.codex_future_key).toEqual({ keep: 'me' })
    expect(json.tokens.extra_token_key).toBe('kept')
    expect(json.OPENAI_API_KEY).toBeNull()
    expect(statSync(file).mode & 0o777).toBe(0o600)

    const status = await runFakeCodex(['login', 'status'], dirname(file))
    expect(status.stderr).toContain('Logged in using ChatGPT')
    expect(status.code).toBe(0)
    expect(issuer.reuseDetected).toBe(0)
  })

  it('adopts a refresh Codex makes itself, so the daemon never presents the spent token', async () => {
    const { app, issuer, file } = await setup()
    const issued = issuer.addAccount(alice)
    writeInPlace(file, authJsonFor(issued))
    await until(() => stored(app, 'alice')?.accessToken === issued.accessToken, 'adoption')
    const byCodex = await codexRefreshes(issuer, file)
    await until(() => stored(app, 'alice')?.refreshToken === byCodex.refreshToken, "adoption of Codex's refresh")
    const r = await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    expect(r.results[0]).toMatchObject({ ok: true })
    expect(readJson(file).tokens.refresh_token).toBe(stored(app, 'alice').refreshToken)
    expect(issuer.reuseDetected).toBe(0)
    expect(issuer.revoked(alice.email)).toBe(false)
  })

  it('leaves auth.json alone when the refreshed account is not the one it holds', async () => {
    const { app, issuer, file } = await setup()
    const a = issuer.addAccount(alice)
    const b = issuer.addAccount(bob)
    writeInPlace(file, authJsonFor(a))
    await until(() => stored(app, 'alice') !== undefined, 'adoption')
    await app.client.call('accounts.add', {
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      idToken: b.idToken,
    })
    const before = readJson(file)
    const r = await app.client.call('accounts.refresh', { alias: 'bob' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    expect(r.results[0]).toMatchObject({ ok: true })
    expect(readJson(file)).toEqual(before)
  })
})

describe('codex.use', () => {
  it("switches auth.json to another account, keeping the file's own keys but not the old account's token extras", async () => {
    const { app, issuer, file } = await setup()
    const a = issuer.addAccount(alice)
    const b = issuer.addAccount(bob)
    const original = authJsonFor(a, { codex_future_key: 1 })
    writeInPlace(file, { ...original, tokens: { ...original.tokens, alice_only: 'x' } })
    await until(() => stored(app, 'alice') !== undefined, 'adoption')
    await app.client.call('accounts.add', {
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      idToken: b.idToken,
    })

    const r = await app.client.call('codex.use', { alias: 'bob' })
    expect(r).toEqual({ alias: 'bob', path: file })
    const json = readJson(file)
    expect(json.tokens.access_token).toBe(b.accessToken)
    expect(json.tokens.refresh_token).toBe(b.refreshToken)
    expectCodexShape(json, bob.accountId)
    expect(json.codex_future_key).toBe(1)
    expect(json.tokens.alice_only).toBeUndefined()
    expect((await runFakeCodex(['login', 'status'], dirname(file))).code).toBe(0)
    // Alice is still ours and was not touched.
    expect(stored(app, 'alice').refreshToken).toBe(a.refreshToken)
  })

  it('refuses an account without an id token, with a clear error', async () => {
    const { app, issuer, file } = await setup()
    const b = issuer.addAccount(bob)
    await app.client.call('accounts.add', { accessToken: b.accessToken, refreshToken: b.refreshToken })
    const err = await app.client.call('codex.use', { alias: 'bob' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: ErrorCode.CONFLICT, data: { alias: 'bob', reason: 'no_id_token' } })
    expect((err as Error).message).toMatch(/id token/)
    expect(() => statSync(file)).toThrow()
  })

  it('refuses an unknown alias with ACCOUNT_NOT_FOUND', async () => {
    const { app } = await setup()
    await expect(app.client.call('codex.use', { alias: 'nobody' })).rejects.toMatchObject({
      code: ErrorCode.ACCOUNT_NOT_FOUND,
    })
  })

  it('refreshes a token about to expire before handing it to Codex', async () => {
    const { app, issuer, file } = await setup()
    const b = issuer.addAccount(bob, { expiresInS: 120 })
    await app.client.call('accounts.add', {
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      idToken: b.idToken,
    })
    await app.client.call('codex.use', { alias: 'bob' })
    expect(issuer.refreshCalls).toBe(1)
    const json = readJson(file)
    expect(json.tokens.refresh_token).not.toBe(b.refreshToken)
    expect(json.tokens.refresh_token).toBe(stored(app, 'bob').refreshToken)
    expect(issuer.reuseDetected).toBe(0)
  })
})
