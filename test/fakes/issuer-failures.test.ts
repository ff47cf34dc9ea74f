import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CODEX_CLIENT_ID, startFakeIssuer, type FakeIssuer } from './issuer.js'

const alice = { email: 'alice@example.com', accountId: 'acct-A', userId: 'user-a' }

let issuer: FakeIssuer
beforeEach(async () => {
  issuer = await startFakeIssuer({ slowMs: 150 })
})
afterEach(async () => {
  await issuer.close()
})

function refresh(token: string, signal?: AbortSignal): Promise<Response> {
  return fetch(issuer.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: token }),
    signal,
  })
}

describe('fake issuer: scripted failures', () => {
  it('answers 500 n times without spending the token, then succeeds', async () => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.failNext(2, '500')
    expect((await refresh(refreshToken)).status).toBe(500)
    expect((await refresh(refreshToken)).status).toBe(500)
    expect(issuer.isSpent(refreshToken)).toBe(false)
    expect((await refresh(refreshToken)).status).toBe(200)
    expect(issuer.refreshCalls).toBe(3)
    expect(issuer.calls.map((c) => c.reason)).toEqual(['scripted:500', 'scripted:500', 'ok'])
    expect(issuer.reuseDetected).toBe(0)
  })

  it('drops the connection', async () => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.failNext(1, 'drop')
    await expect(refresh(refreshToken)).rejects.toThrow()
    expect(issuer.isSpent(refreshToken)).toBe(false)
    expect(issuer.calls[0].scripted).toBe('drop')
    expect(issuer.calls[0].status).toBeUndefined()
  })

  it('hangs until the client gives up, and close() still returns', async () => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.failNext(1, 'hang')
    await expect(refresh(refreshToken, AbortSignal.timeout(100))).rejects.toThrow()
    issuer.failNext(1, 'hang')
    const pending = refresh(refreshToken).catch((e: unknown) => e)
    await waitFor(() => issuer.calls.length === 2)
    await issuer.close()
    expect(await pending).toBeInstanceOf(Error)
    expect(issuer.isSpent(refreshToken)).toBe(false)
  })

  it('answers slowly, then normally', async () => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.failNext(1, 'slow')
    const started = Date.now()
    const res = await refresh(refreshToken)
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(issuer.calls[0]).toMatchObject({ scripted: 'slow', reason: 'ok' })
    expect(issuer.isSpent(refreshToken)).toBe(true)
  })

  it.each([
    ['invalid_grant', 400, { error: 'invalid_grant' }],
    ['refresh_token_expired', 401, { error: { code: 'refresh_token_expired' } }],
    ['401', 401, { error: { code: null } }],
    ['403', 403, { error: {} }],
    ['429', 429, { error: {} }],
    ['502', 502, { error: {} }],
    ['503', 503, { error: {} }],
  ] as const)('scripts %s', async (kind, status, body) => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.failNext(1, kind)
    const res = await refresh(refreshToken)
    expect(res.status).toBe(status)
    expect(await res.json()).toMatchObject(body)
    expect(issuer.isSpent(refreshToken)).toBe(false)
    if (kind === '429') expect(res.headers.get('retry-after')).toBe('1')
  })

  it('scripts other paths only when asked, and in order', async () => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.failNext(1, '503', { path: '/oauth/revoke' })
    issuer.failNext(1, '502')
    issuer.failNext(1, '429')
    expect((await refresh(refreshToken)).status).toBe(502)
    expect((await refresh(refreshToken)).status).toBe(429)
    expect((await refresh(refreshToken)).status).toBe(200)
    const revoke = await fetch(`${issuer.url}/oauth/revoke`, { method: 'POST', body: JSON.stringify({ token: 'x' }) })
    expect(revoke.status).toBe(503)
  })

  it('delays every answer with setDelay', async () => {
    const { refreshToken } = issuer.addAccount(alice)
    issuer.setDelay(120)
    const started = Date.now()
    expect((await refresh(refreshToken)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(110)
  })
})

/** Polls with a generous deadline: CI machines under load can take seconds to deliver a request. */
async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  if (!cond()) throw new Error('condition never became true')
}
