import { describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT_ID } from '../../daemon/auth/oauth-client.js'
import { accessToken, idToken } from './mint-jwt.js'
import {
  ISSUER,
  RT,
  TIMEOUT,
  expectClean,
  hang,
  harness,
  jsonResponse,
  refused,
  settle,
  type Responder,
} from './oauth-harness.js'

describe('exchangeCode', () => {
  const params = {
    code: 'ac_CODE_123456',
    redirectUri: 'http://localhost:1455/auth/callback',
    codeVerifier: 'ver_ABCDEFGH',
  }

  it('POSTs a form-encoded authorization_code grant', async () => {
    const at = accessToken()
    const it_ = idToken()
    const h = harness(() => jsonResponse(200, { access_token: at, refresh_token: 'rt_L', id_token: it_ }))
    const set = await h.client.exchangeCode(params)
    expect(set).toMatchObject({ accessToken: at, refreshToken: 'rt_L', idToken: it_ })
    const { url, init } = h.calls[0]
    expect(url).toBe(`${ISSUER}/oauth/token`)
    expect(init.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded' })
    expect(Object.fromEntries(new URLSearchParams(init.body as string))).toEqual({
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: params.redirectUri,
      client_id: DEFAULT_CLIENT_ID,
      code_verifier: params.codeVerifier,
    })
  })

  it('fails permanently, once, on invalid_grant and on a missing refresh token', async () => {
    const h1 = harness(() => jsonResponse(400, { error: 'invalid_grant', error_description: `code ${params.code}` }))
    const e1 = await settle(h1.clock, h1.client.exchangeCode(params), 10_000)
    expect(e1).toMatchObject({ code: 'invalid_grant', permanent: true })
    expect((e1 as Error).message).not.toContain(params.code)
    expect(h1.calls).toHaveLength(1)

    const h2 = harness(() => jsonResponse(200, { access_token: accessToken() }))
    const e2 = await settle(h2.clock, h2.client.exchangeCode(params), 10_000)
    expect(e2).toMatchObject({ code: 'bad_response', permanent: true })
    expect(h2.calls).toHaveLength(1)
  })
})

describe('revoke', () => {
  it('POSTs JSON {token, token_type_hint, client_id} to {issuer}/oauth/revoke', async () => {
    const h = harness(() => new Response(null, { status: 200 }))
    expect(await h.client.revoke(RT, 'refresh_token')).toBe(true)
    expect(h.calls[0].url).toBe(`${ISSUER}/oauth/revoke`)
    expect(JSON.parse(h.calls[0].init.body as string)).toEqual({
      token: RT,
      token_type_hint: 'refresh_token',
      client_id: DEFAULT_CLIENT_ID,
    })
  })

  it('never throws and never retries', async () => {
    for (const r of [
      refused,
      () => jsonResponse(500, 'x'),
      () => jsonResponse(400, { error: 'invalid_token' }),
    ] as Responder[]) {
      const h = harness(r)
      expect(await h.client.revoke(RT, 'access_token')).toBe(false)
      expect(h.calls).toHaveLength(1)
      expectClean(undefined, h.logs)
    }
    const h = harness(hang)
    const p = h.client.revoke(RT, 'refresh_token')
    await h.clock.advance(TIMEOUT)
    expect(await p).toBe(false)
  })
})
