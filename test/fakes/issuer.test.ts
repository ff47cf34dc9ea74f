import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CODEX_CLIENT_ID, startFakeIssuer, type FakeIssuer } from './issuer.js'
import { decodeJwt } from './jwt.js'

const alice = { email: 'alice@example.com', accountId: 'acct-A', userId: 'user-a' }
const bob = { email: 'bob@example.com', accountId: 'acct-B', userId: 'user-b' }

let issuer: FakeIssuer
beforeEach(async () => {
  issuer = await startFakeIssuer()
})
afterEach(async () => {
  await issuer.close()
})

async function refresh(token: string, form = false): Promise<{ status: number; body: Record<string, unknown> }> {
  const fields = { client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: token }
  const res = await fetch(issuer.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('fake issuer: rotating refresh tokens', () => {
  it('rotates on every refresh and spends the old token', async () => {
    const first = issuer.addAccount(alice)
    const r1 = await refresh(first.refreshToken)
    expect(r1.status).toBe(200)
    expect(r1.body).toMatchObject({ token_type: 'Bearer', expires_in: 864_000 })
    const next = String(r1.body.refresh_token)
    expect(next).not.toBe(first.refreshToken)
    expect(issuer.isSpent(first.refreshToken)).toBe(true)
    expect(issuer.isSpent(next)).toBe(false)
    expect(issuer.latestRefreshToken(alice.email)).toBe(next)
    expect(issuer.latestRefreshToken(first.family)).toBe(next)
    expect(issuer.familyOf(next)).toBe(first.family)
    expect(issuer.familyOf(String(r1.body.access_token))).toBe(first.family)
    expect(decodeJwt(String(r1.body.id_token)).email).toBe(alice.email)

    // Form encoding is accepted too.
    const r2 = await refresh(next, true)
    expect(r2.status).toBe(200)
    expect(issuer.refreshCalls).toBe(2)
    expect(issuer.reuseDetected).toBe(0)
  })

  it('hands out access tokens with strictly increasing iat, even within one second', async () => {
    let token = issuer.addAccount(alice).refreshToken
    const iats: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await refresh(token)
      token = String(r.body.refresh_token)
      iats.push(Number(decodeJwt(String(r.body.access_token)).iat))
    }
    for (let i = 1; i < iats.length; i++) expect(iats[i]).toBeGreaterThan(iats[i - 1])
  })

  it('treats a spent token as reuse: 401 refresh_token_reused and the whole family revoked', async () => {
    const first = issuer.addAccount(alice)
    const other = issuer.addAccount(bob)
    const current = String((await refresh(first.refreshToken)).body.refresh_token)

    const reused = await refresh(first.refreshToken)
    expect(reused.status).toBe(401)
    expect(reused.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'refresh_token_reused' } })
    expect(issuer.reuseDetected).toBe(1)
    expect(issuer.revoked(first.family)).toBe(true)

    // The token that was current is dead too.
    const after = await refresh(current)
    expect(after.status).toBe(401)
    expect(after.body).toMatchObject({ error: { code: 'refresh_token_invalidated' } })

    // Other families are untouched.
    expect(issuer.revoked(other.family)).toBe(false)
    expect((await refresh(other.refreshToken)).status).toBe(200)
    expect(issuer.calls.map((c) => c.reason)).toEqual(['ok', 'reused', 'invalidated', 'ok'])
  })

  it('answers an unknown token with 400 invalid_grant', async () => {
    const r = await refresh('rt_never_issued')
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({ error: 'invalid_grant' })
    expect(issuer.reuseDetected).toBe(0)
  })

  it('requires the Codex client_id and a supported grant', async () => {
    const token = issuer.addAccount(alice).refreshToken
    const bad = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'someone-else', grant_type: 'refresh_token', refresh_token: token }),
    })
    expect(bad.status).toBe(401)
    expect(issuer.isSpent(token)).toBe(false)
    const grant = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: CODEX_CLIENT_ID, grant_type: 'password' }),
    })
    expect(grant.status).toBe(400)
  })

  it('revokes a family at /oauth/revoke (by refresh or access token)', async () => {
    const a = issuer.addAccount(alice)
    const res = await fetch(`${issuer.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: a.accessToken, token_type_hint: 'access_token', client_id: CODEX_CLIENT_ID }),
    })
    expect(res.status).toBe(200)
    expect(issuer.revoked(alice.email)).toBe(true)
    expect((await refresh(a.refreshToken)).body).toMatchObject({ error: { code: 'refresh_token_invalidated' } })
  })

  it('can expire a family (death by disuse) and honours accessTokenTtlS', async () => {
    issuer.accessTokenTtlS = 120
    const a = issuer.addAccount(alice)
    expect(Number(decodeJwt(a.accessToken).exp) - Number(decodeJwt(a.accessToken).iat)).toBe(120)
    issuer.expire(alice.email)
    expect((await refresh(a.refreshToken)).body).toMatchObject({ error: { code: 'refresh_token_expired' } })
  })

  it('mints from an injected clock', async () => {
    const clocked = await startFakeIssuer({ now: () => Date.UTC(2030, 0, 1) })
    try {
      const a = clocked.addAccount(alice)
      expect(decodeJwt(a.accessToken).iat).toBe(Date.UTC(2030, 0, 1) / 1000)
      const b = clocked.addAccount(bob, { iat: 100, expiresInS: 10 })
      expect(decodeJwt(b.accessToken)).toMatchObject({ iat: 100, exp: 110 })
    } finally {
      await clocked.close()
    }
  })

  it('answers 404 on unknown paths', async () => {
    expect((await fetch(`${issuer.url}/nope`)).status).toBe(404)
  })
})
