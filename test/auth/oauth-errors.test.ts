import { redactString } from '../../daemon/log/redact.js'
import { describe, expect, it } from 'vitest'
import { GRANT_ERROR_CODES, RefreshError, classifyHttpFailure, classifyThrown } from '../../daemon/auth/oauth-errors.js'
import { accessToken } from './mint-jwt.js'

const json = (v: unknown): string => JSON.stringify(v)

describe('classifyHttpFailure', () => {
  it.each(GRANT_ERROR_CODES)('%s is permanent in every body shape the issuer uses', (code) => {
    for (const body of [
      json({ error: code, error_description: 'nope' }),
      json({ error: { code, message: 'nope' } }),
      json({ error: { type: code, message: 'nope' } }),
    ]) {
      for (const status of [400, 401]) {
        const err = classifyHttpFailure(status, body)
        expect(err).toBeInstanceOf(RefreshError)
        expect(err.code).toBe(code)
        expect(err.permanent).toBe(true)
        expect(err.status).toBe(status)
      }
    }
  })

  it('finds a grant code in error.code even when error.type is generic', () => {
    const err = classifyHttpFailure(
      401,
      json({ error: { type: 'invalid_request_error', code: 'refresh_token_reused' } }),
    )
    expect(err.code).toBe('refresh_token_reused')
    expect(err.permanent).toBe(true)
  })

  it('treats any 401 and 403 as permanent', () => {
    expect(classifyHttpFailure(401, '')).toMatchObject({ code: 'unauthorized', permanent: true })
    expect(classifyHttpFailure(401, json({ error: 'whatever' }))).toMatchObject({
      code: 'unauthorized',
      permanent: true,
    })
    expect(classifyHttpFailure(403, '<html>denied</html>')).toMatchObject({ code: 'forbidden', permanent: true })
  })

  it('treats RFC 6749 request errors on a 400 as permanent', () => {
    for (const code of [
      'invalid_request',
      'invalid_client',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
    ]) {
      const err = classifyHttpFailure(400, json({ error: code }))
      expect(err).toMatchObject({ code: 'invalid_request', permanent: true, issuerCode: code })
    }
  })

  it('treats 429, 5xx, 408 and unrecognised 4xx as transient', () => {
    expect(classifyHttpFailure(429, json({ error: 'rate_limit_exceeded' }))).toMatchObject({
      code: 'rate_limited_by_issuer',
      permanent: false,
    })
    for (const s of [500, 502, 503, 504]) {
      expect(classifyHttpFailure(s, '<html>bad gateway</html>')).toMatchObject({
        code: 'server_error',
        permanent: false,
      })
    }
    expect(classifyHttpFailure(408, '')).toMatchObject({ code: 'timeout', permanent: false })
    expect(classifyHttpFailure(400, 'not json')).toMatchObject({ code: 'bad_response', permanent: false })
    expect(classifyHttpFailure(404, json({ error: 'not_found' }))).toMatchObject({
      code: 'bad_response',
      permanent: false,
    })
  })

  it('puts the issuer code and a redacted, truncated description in the message', () => {
    const rt = 'rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0zzzz'
    const jwt = accessToken()
    const err = classifyHttpFailure(
      400,
      json({ error: 'invalid_grant', error_description: `Token ${rt} is spent; see ${jwt} ${'x'.repeat(500)}` }),
      [rt],
    )
    expect(err.message).toContain('invalid_grant')
    expect(err.message).toContain('HTTP 400')
    expect(err.message).toContain('is spent')
    expect(err.message).not.toContain(rt)
    expect(err.message).not.toContain(jwt)
    expect(err.message).not.toMatch(/eyJ/)
    expect(err.message.length).toBeLessThan(400)
  })

  it('does not echo an implausible issuer code', () => {
    const err = classifyHttpFailure(400, json({ error: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' }))
    expect(err.issuerCode).toBeUndefined()
    expect(err.message).not.toMatch(/eyJ/)
  })
})

describe('classifyThrown', () => {
  it('maps a deadline to timeout and anything else to network, both transient', () => {
    expect(classifyThrown(new Error('x'), true, 20000)).toMatchObject({ code: 'timeout', permanent: false })
    const net = classifyThrown(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), false, 20000)
    expect(net).toMatchObject({ code: 'network', permanent: false })
    expect(net.message).toContain('ECONNREFUSED')
  })

  it('passes RefreshErrors through', () => {
    const e = new RefreshError('forbidden', 'x', { permanent: true })
    expect(classifyThrown(e, false, 1)).toBe(e)
  })
})

describe('redactString (issuer text)', () => {
  it('keeps readable words and error codes', () => {
    expect(redactString('refresh_token_invalidated: the token was revoked')).toBe(
      'refresh_token_invalidated: the token was revoked',
    )
  })

  it('removes JWTs (even truncated), long opaque tokens and listed secrets', () => {
    const out = redactString('a eyJhbGciOiJ9.eyJzdWIi b v1.MJ3kd82kdLskd93kdLsk29dk c shortsecret', ['shortsecret'])
    expect(out).toBe('a [redacted] b [redacted] c [redacted]')
  })
})
