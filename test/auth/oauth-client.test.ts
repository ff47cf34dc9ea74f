import { describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT_ID, REFRESH_ATTEMPTS, RETRY_DELAYS_MS } from '../../daemon/auth/oauth-client.js'
import { RefreshError } from '../../daemon/auth/oauth-errors.js'
import { accessToken, idToken } from './mint-jwt.js'
import { ISSUER, RT, TIMEOUT, expectClean, hang, harness, jsonResponse, refused, settle } from './oauth-harness.js'

describe('refresh: request', () => {
  it('POSTs JSON to {issuer}/oauth/token and returns the token set', async () => {
    const at = accessToken({ iat: 1_790_000_000, exp: 1_790_864_000 })
    const it_ = idToken()
    const h = harness(() =>
      jsonResponse(200, { access_token: at, refresh_token: 'rt_NEW', id_token: it_, expires_in: 864000 }),
    )
    const set = await h.client.refresh(RT)
    expect(h.calls).toHaveLength(1)
    const { url, init } = h.calls[0]
    expect(url).toBe(`${ISSUER}/oauth/token`)
    expect(init.method).toBe('POST')
    expect(init.redirect).toBe('manual')
    expect(init.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' })
    expect(JSON.parse(init.body as string)).toEqual({
      client_id: DEFAULT_CLIENT_ID,
      grant_type: 'refresh_token',
      refresh_token: RT,
    })
    expect(set).toEqual({ accessToken: at, refreshToken: 'rt_NEW', idToken: it_, expiresAt: h.t0 + 864_000_000 })
    expect(h.clock.timers).toEqual([]) // the per-attempt deadline is cleared
  })

  it('keeps a path prefix and drops trailing slashes in the issuer', async () => {
    const h = harness(() => jsonResponse(200, { access_token: accessToken() }), {
      issuer: 'http://127.0.0.1:9999/fake/',
    })
    await h.client.refresh(RT)
    expect(h.calls[0].url).toBe('http://127.0.0.1:9999/fake/oauth/token')
  })

  it('refuses a plain-http issuer that is not on loopback', () => {
    expect(() => harness(() => jsonResponse(200, {}), { issuer: 'http://auth.example.test' })).toThrow(/https/)
  })
})

describe('refresh: response fields', () => {
  it('leaves refreshToken and idToken undefined when the issuer omits them', async () => {
    const h = harness(() => jsonResponse(200, { access_token: accessToken(), expires_in: 60 }))
    const set = await h.client.refresh(RT)
    expect(set.refreshToken).toBeUndefined()
    expect(set.idToken).toBeUndefined()
    expect('refreshToken' in set && set.refreshToken !== undefined).toBe(false)
  })

  it('takes expiresAt from expires_in when present (over the JWT exp)', async () => {
    const h = harness(() => jsonResponse(200, { access_token: accessToken({ exp: 1 }), expires_in: '3600' }))
    expect((await h.client.refresh(RT)).expiresAt).toBe(h.t0 + 3_600_000)
  })

  it('takes expiresAt from the access JWT exp when expires_in is absent or malformed', async () => {
    const exp = 1_800_000_000
    for (const expires_in of [undefined, null, -5, 'soon']) {
      const h = harness(() =>
        jsonResponse(200, { access_token: accessToken({ exp }), refresh_token: 'rt_N', expires_in }),
      )
      const set = await h.client.refresh(RT)
      expect(set.expiresAt).toBe(exp * 1000)
      expect(set.refreshToken).toBe('rt_N')
    }
  })

  it('leaves expiresAt undefined when neither is available', async () => {
    const h = harness(() => jsonResponse(200, { access_token: 'opaque-access' }))
    expect((await h.client.refresh(RT)).expiresAt).toBeUndefined()
  })

  it('ignores an id_token that is not a JWT rather than passing it on', async () => {
    const h = harness(() => jsonResponse(200, { access_token: accessToken(), id_token: 'not-a-jwt' }))
    expect((await h.client.refresh(RT)).idToken).toBeUndefined()
  })
})

describe('refresh: permanent failures stop at once', () => {
  const cases: [string, number, unknown][] = [
    ['invalid_grant', 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' }],
    ['refresh_token_expired', 401, { error: { code: 'refresh_token_expired', message: 'expired' } }],
    ['refresh_token_reused', 401, { error: { code: 'refresh_token_reused', message: 'already used' } }],
    ['refresh_token_invalidated', 401, { error: { code: 'refresh_token_invalidated' } }],
    ['token_expired', 400, { error: { type: 'token_expired' } }],
    ['token_invalidated', 401, { error: 'token_invalidated' }],
    ['unauthorized', 401, 'Unauthorized'],
    ['forbidden', 403, { error: { type: 'access_denied', message: 'no' } }],
    ['invalid_request', 400, { error: 'invalid_client' }],
  ]
  it.each(cases)('%s → permanent RefreshError after exactly 1 call', async (code, status, body) => {
    const h = harness(() => jsonResponse(status, body))
    const err = await settle(h.clock, h.client.refresh(RT), 10_000)
    expect(err).toBeInstanceOf(RefreshError)
    expect(err).toMatchObject({ code, permanent: true, status, attempts: 1 })
    expect(h.calls).toHaveLength(1)
    expectClean(err, h.logs)
  })

  it('rejects an empty refresh token without calling the issuer', async () => {
    const h = harness(() => jsonResponse(200, {}))
    await expect(h.client.refresh('')).rejects.toMatchObject({ code: 'invalid_grant', permanent: true })
    expect(h.calls).toHaveLength(0)
  })
})

describe('refresh: transient failures are retried 3 times with 500/750 ms back-off', () => {
  it('exposes the schedule', () => {
    expect(RETRY_DELAYS_MS).toEqual([500, 750, 1125])
    expect(REFRESH_ATTEMPTS).toBe(3)
  })

  const statusCases: [string, number][] = [
    ['rate_limited_by_issuer', 429],
    ['server_error', 500],
    ['server_error', 502],
    ['server_error', 503],
  ]
  it.each(statusCases)('%s (HTTP %i) → 3 calls, then transient', async (code, status) => {
    const h = harness(() =>
      jsonResponse(status, status === 429 ? { error: 'rate_limit_exceeded' } : '<html>oops</html>'),
    )
    const err = await settle(h.clock, h.client.refresh(RT), 10_000)
    expect(h.calls.map((c) => c.at - h.t0)).toEqual([0, 500, 1250])
    expect(err).toMatchObject({ code, permanent: false, status, attempts: 3 })
    expectClean(err, h.logs)
  })

  it('timeout → 3 calls, each cut off at timeoutMs, then transient', async () => {
    const h = harness(hang)
    const err = await settle(h.clock, h.client.refresh(RT), 3 * TIMEOUT + 5_000)
    expect(h.calls.map((c) => c.at - h.t0)).toEqual([0, TIMEOUT + 500, 2 * TIMEOUT + 1250])
    expect(err).toMatchObject({ code: 'timeout', permanent: false, attempts: 3 })
    expect(h.calls.every((c) => c.init.signal?.aborted)).toBe(true)
    expect(h.clock.timers).toEqual([])
  })

  it('times out even when fetch ignores the abort signal', async () => {
    const h = harness(() => new Promise<Response>(() => {}))
    const err = await settle(h.clock, h.client.refresh(RT), 3 * TIMEOUT + 5_000)
    expect(err).toMatchObject({ code: 'timeout', permanent: false })
    expect(h.calls).toHaveLength(3)
  })

  it('network error → 3 calls, then transient', async () => {
    const h = harness(refused)
    const err = await settle(h.clock, h.client.refresh(RT), 10_000)
    expect(h.calls.map((c) => c.at - h.t0)).toEqual([0, 500, 1250])
    expect(err).toMatchObject({ code: 'network', permanent: false, attempts: 3 })
    expectClean(err, h.logs)
  })

  it('a 200 with an unusable body → bad_response, transient, retried', async () => {
    const h = harness(() => jsonResponse(200, '<html>maintenance</html>'))
    const err = await settle(h.clock, h.client.refresh(RT), 10_000)
    expect(err).toMatchObject({ code: 'bad_response', permanent: false, attempts: 3 })
    expect(h.calls).toHaveLength(3)
  })

  it('succeeds after one 503 with exactly 2 calls', async () => {
    const at = accessToken()
    const h = harness((_c, n) =>
      n === 1 ? jsonResponse(503, 'busy') : jsonResponse(200, { access_token: at, refresh_token: 'rt_N' }),
    )
    const set = await settle(h.clock, h.client.refresh(RT), 10_000)
    expect(set).toMatchObject({ accessToken: at, refreshToken: 'rt_N' })
    expect(h.calls.map((c) => c.at - h.t0)).toEqual([0, 500])
  })

  it('stops retrying as soon as a retry turns permanent', async () => {
    const h = harness((_c, n) =>
      n === 1 ? jsonResponse(502, '') : jsonResponse(401, { error: { code: 'refresh_token_reused' } }),
    )
    const err = await settle(h.clock, h.client.refresh(RT), 10_000)
    expect(err).toMatchObject({ code: 'refresh_token_reused', permanent: true, attempts: 2 })
    expect(h.calls).toHaveLength(2)
  })
})

describe('refresh: secrets never reach messages or logs', () => {
  it('scrubs an issuer that echoes the refresh token and a JWT', async () => {
    const jwt = accessToken()
    for (const status of [400, 429, 500]) {
      const h = harness(() =>
        jsonResponse(status, { error: 'invalid_grant_x', error_description: `bad token ${RT} (prev ${jwt})` }),
      )
      const err = await settle(h.clock, h.client.refresh(RT), 10_000)
      expect(err).toBeInstanceOf(RefreshError)
      expect((err as Error).message).toContain('bad token')
      expectClean(err, h.logs)
    }
  })
})
