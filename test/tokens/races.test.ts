import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { RpcError } from '../../client/rpc/errors.js'
import { useIssuerApp } from '../helpers/issuer-app.js'
import { addAccount, identity } from '../helpers/accounts.js'

describe('token races', () => {
  const ctx = useIssuerApp()

  it('concurrent token.get calls each move round-robin on', async () => {
    const { issuer, t } = ctx
    for (let n = 1; n <= 4; n++) await addAccount(t.client, issuer, n)
    const got = await Promise.all(Array.from({ length: 8 }, () => t.client.call('token.get', {})))
    const counts = new Map<string, number>()
    for (const g of got) counts.set(g.alias, (counts.get(g.alias) ?? 0) + 1)
    expect([...counts.values()]).toEqual([2, 2, 2, 2])
  })

  it('a pair adopted just before a refresh starts is the one refreshed, never the token it replaced', async () => {
    const { issuer, t } = ctx
    const a = await addAccount(t.client, issuer, 1, 1) // expiring: token.get must refresh
    // Someone else (Codex) rotates the family and hands us the new pair.
    const r = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: a.tokens.refreshToken,
        client_id: issuer.clientId,
      }),
    })
    const rotated = (await r.json()) as { access_token: string; refresh_token: string; id_token: string }
    // Adoption and token.get arrive together; the adoption is queued first.
    const [, got] = await Promise.all([
      t.client.call('accounts.add', {
        accessToken: rotated.access_token,
        refreshToken: rotated.refresh_token,
        idToken: rotated.id_token,
      }),
      t.client.call('token.get', {}),
    ])
    expect(issuer.reuseDetected).toBe(0)
    expect(got.accessToken).toBe(rotated.access_token)
    expect((await t.client.call('accounts.get', { alias: a.alias })).health).toBe('ok')
  })

  it('a rotated pair the store could not take is kept and saved later, not lost', async () => {
    const { issuer, t } = ctx
    const a = await addAccount(t.client, issuer, 1, 1)
    issuer.setDelay(300)
    const pending = t.client.call('token.get', {}).catch((e: unknown) => e)
    // While the issuer answers, the store becomes unwritable (a directory where the file goes).
    await new Promise((r) => setTimeout(r, 100))
    rmSync(t.dirs.storeFile)
    mkdirSync(t.dirs.storeFile)
    const err = (await pending) as RpcError
    expect(err).toBeInstanceOf(RpcError)
    expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE)
    expect(err.message).not.toMatch(/rate|network/i)
    issuer.setDelay(0)

    rmSync(t.dirs.storeFile, { recursive: true })
    const got = await t.client.call('token.get', {})
    expect(issuer.refreshCalls).toBe(1) // the saved pair, not a second refresh
    expect(issuer.reuseDetected).toBe(0)
    const onDisk = JSON.parse(readFileSync(t.dirs.storeFile, 'utf8')) as {
      accounts: Record<string, { accessToken: string; refreshToken: string }>
    }
    expect(onDisk.accounts[a.alias].refreshToken).toBe(issuer.latestRefreshToken(identity(1).email))
    expect(onDisk.accounts[a.alias].accessToken).toBe(got.accessToken)
  })

  it('token.report: an alias removed since token.get gets a retry, and a 401 still records limits', async () => {
    const { issuer, t } = ctx
    const a = await addAccount(t.client, issuer, 1)
    expect(await t.client.call('token.report', { alias: 'gone-meanwhile', status: 429 })).toMatchObject({ retry: true })
    const headers = {
      'x-codex-primary-used-percent': '40',
      'x-codex-primary-window-minutes': '300',
      'x-codex-primary-reset-at': String(Math.floor(Date.now() / 1000) + 3600),
    }
    const r = await t.client.call('token.report', { alias: a.alias, status: 401, headers })
    expect(r.retry).toBe(true)
    const { accounts } = await t.client.call('limits.get', { alias: a.alias })
    expect(accounts[0].limits.fiveHour?.usedPercent).toBe(40)
  })

  it('a pinned account whose refresh fails within the call → RATE_LIMITED with its reason, no fallback', async () => {
    const { issuer, t } = ctx
    const a = await addAccount(t.client, issuer, 1, 1)
    await addAccount(t.client, issuer, 2)
    await t.client.call('rotation.force', { alias: a.alias })
    issuer.failNext(1, 'invalid_grant')
    const err = (await t.client.call('token.get', {}).catch((e: unknown) => e)) as RpcError
    expect(err).toBeInstanceOf(RpcError)
    expect(err.code).toBe(ErrorCode.RATE_LIMITED)
    expect(err.data).toMatchObject({ alias: a.alias, health: 'auth_invalid' })
  })

  it('token.get never reads the store file (docs/architecture.md#invariants, 9): garbage on disk does not disturb serving', async () => {
    const { issuer, t } = ctx
    const a = await addAccount(t.client, issuer, 1)
    writeFileSync(t.dirs.storeFile, 'not json at all')
    for (let i = 0; i < 5; i++) expect((await t.client.call('token.get', {})).alias).toBe(a.alias)
    expect(issuer.refreshCalls).toBe(0)
  })
})
