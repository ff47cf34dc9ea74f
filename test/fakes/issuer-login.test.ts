import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CODEX_CLIENT_ID, s256, startFakeIssuer, type FakeIssuer } from './issuer.js'
import { authClaimOf } from './jwt.js'

const carol = { email: 'carol@example.com', accountId: 'acct-C', userId: 'user-c', planType: 'team' }
const REDIRECT = 'http://localhost:1455/auth/callback'

let issuer: FakeIssuer
beforeEach(async () => {
  issuer = await startFakeIssuer({ deviceIntervalS: 0 })
})
afterEach(async () => {
  await issuer.close()
})

function authorizeUrl(challenge: string, overrides: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CODEX_CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'openid profile email offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-123',
    id_token_add_organizations: 'true',
    codex_cli_simplified_flow: 'true',
    originator: 'codex_cli_rs',
    ...overrides,
  })
  return `${issuer.url}/oauth/authorize?${q.toString()}`
}

async function exchange(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(issuer.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CODEX_CLIENT_ID, ...fields }).toString(),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function signIn(verifier: string): Promise<string> {
  issuer.setNextLogin(carol)
  const res = await fetch(authorizeUrl(s256(verifier)), { redirect: 'manual' })
  expect(res.status).toBe(302)
  const location = new URL(res.headers.get('location') ?? '')
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT)
  expect(location.searchParams.get('state')).toBe('st-123')
  return location.searchParams.get('code') ?? ''
}

describe('fake issuer: browser sign-in (authorization code + PKCE)', () => {
  it('exchanges a code for tokens of the configured identity, in a new family', async () => {
    const verifier = randomBytes(32).toString('base64url')
    const code = await signIn(verifier)
    const r = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier })
    expect(r.status).toBe(200)
    expect(authClaimOf(String(r.body.access_token))).toMatchObject({
      chatgpt_account_id: 'acct-C',
      chatgpt_plan_type: 'team',
    })
    const refreshToken = String(r.body.refresh_token)
    expect(issuer.latestRefreshToken(carol.email)).toBe(refreshToken)
    // A code is single-use.
    expect((await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier })).status).toBe(400)
  })

  it('rejects a wrong verifier, a wrong redirect_uri and a wrong client_id', async () => {
    const verifier = randomBytes(32).toString('base64url')
    const code = await signIn(verifier)
    const wrongVerifier = await exchange({
      code,
      redirect_uri: REDIRECT,
      code_verifier: randomBytes(32).toString('base64url'),
    })
    expect(wrongVerifier).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    const wrongRedirect = await exchange({
      code,
      redirect_uri: 'http://localhost:1457/auth/callback',
      code_verifier: verifier,
    })
    expect(wrongRedirect.status).toBe(400)
    const wrongClient = await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'other' })
    expect(wrongClient.status).toBe(401)
    // None of those burned the code.
    expect((await exchange({ code, redirect_uri: REDIRECT, code_verifier: verifier })).status).toBe(200)
  })

  it.each([
    ['response_type', { response_type: 'token' }],
    ['client_id', { client_id: 'nope' }],
    ['redirect_uri', { redirect_uri: 'https://evil.example/auth/callback' }],
    ['scope', { scope: 'openid profile email' }],
    ['code_challenge_method', { code_challenge_method: 'plain' }],
    ['state', { state: '' }],
  ])('refuses an authorize request with a bad %s', async (_field, overrides) => {
    issuer.setNextLogin(carol)
    const res = await fetch(authorizeUrl('challenge', overrides), { redirect: 'manual' })
    expect(res.status).toBe(400)
  })

  it('refuses when no login was configured, and can deny instead', async () => {
    expect((await fetch(authorizeUrl('c'), { redirect: 'manual' })).status).toBe(400)
    issuer.denyNextLogin()
    const res = await fetch(authorizeUrl('c'), { redirect: 'manual' })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location') ?? '')
    expect(location.searchParams.get('error')).toBe('access_denied')
    expect(location.searchParams.get('state')).toBe('st-123')
    expect(location.searchParams.get('code')).toBeNull()
  })
})

describe('fake issuer: device code sign-in', () => {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${issuer.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('stays pending (403) until approved, then yields a code redeemable at the device callback', async () => {
    const start = await post('/api/accounts/deviceauth/usercode', { client_id: CODEX_CLIENT_ID })
    expect(start.status).toBe(200)
    expect(start.body.interval).toBe('0')
    const { device_auth_id, user_code } = start.body as { device_auth_id: string; user_code: string }
    expect(issuer.pendingDeviceCodes).toEqual([user_code])

    expect((await post('/api/accounts/deviceauth/token', { device_auth_id, user_code })).status).toBe(403)
    expect((await post('/api/accounts/deviceauth/token', { device_auth_id: 'nope', user_code })).status).toBe(400)

    issuer.approveDevice(user_code, carol)
    const approved = await post('/api/accounts/deviceauth/token', { device_auth_id, user_code })
    expect(approved.status).toBe(200)
    const { authorization_code, code_challenge, code_verifier } = approved.body as Record<string, string>
    expect(s256(code_verifier)).toBe(code_challenge)

    // The code is bound to {issuer}/deviceauth/callback, not to a localhost redirect.
    expect((await exchange({ code: authorization_code, redirect_uri: REDIRECT, code_verifier })).status).toBe(400)
    const tokens = await exchange({
      code: authorization_code,
      redirect_uri: `${issuer.url}/deviceauth/callback`,
      code_verifier,
    })
    expect(tokens.status).toBe(200)
    expect(authClaimOf(String(tokens.body.access_token))?.chatgpt_account_id).toBe('acct-C')
  })

  it('rejects an unknown client_id', async () => {
    expect((await post('/api/accounts/deviceauth/usercode', { client_id: 'x' })).status).toBe(400)
  })
})
