import { describe, expect, it } from 'vitest'
import { decodeJwtPayload, identityFromTokens, isJwt, isNewerToken, sameIdentity } from '../../daemon/auth/jwt.js'
import { AUTH, PROFILE, accessToken, b64url, idToken, mintJwt } from './mint-jwt.js'

describe('decodeJwtPayload', () => {
  it('decodes base64url payloads that contain "-" and "_"', () => {
    // '>>>' encodes to 'Pj4-' and '???' to 'Pz8_' in base64url.
    const payload = { note: '>>>???>>>???', n: 1 }
    const encoded = b64url(payload)
    expect(encoded).toContain('-')
    expect(encoded).toContain('_')
    expect(decodeJwtPayload(`h.${encoded}.s`)).toEqual(payload)
  })

  it('returns null, never throws, for malformed input', () => {
    const bad = [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      `h..s`,
      `h.${b64url('not json')}.s`,
      `h.${b64url([1, 2])}.s`,
      `h.${b64url('null')}.s`,
      'h.e+J/.s', // standard-base64 characters are not base64url
      undefined as unknown as string,
      42 as unknown as string,
    ]
    for (const t of bad) expect(decodeJwtPayload(t)).toBeNull()
  })

  it('accepts padded payloads', () => {
    const enc = b64url({ a: 1 })
    const padded = enc + '='.repeat((4 - (enc.length % 4)) % 4)
    expect(decodeJwtPayload(`h.${padded}.s`)).toEqual({ a: 1 })
  })
})

describe('isJwt', () => {
  it('wants three non-empty parts and a parseable payload', () => {
    expect(isJwt(mintJwt({ a: 1 }))).toBe(true)
    expect(isJwt(`${b64url({})}.${b64url({ a: 1 })}.`)).toBe(false)
    expect(isJwt(`.${b64url({ a: 1 })}.sig`)).toBe(false)
    expect(isJwt(`h.${b64url('x')}.sig`)).toBe(false)
    expect(isJwt('opaque-refresh-token')).toBe(false)
  })
})

describe('identityFromTokens', () => {
  it('reads the auth claims, profile email and times (ms) from the access token', () => {
    const at = accessToken({
      accountId: 'acct-9',
      userId: 'user-9',
      email: 'p@x.io',
      plan: 'pro',
      iat: 1000,
      exp: 2000,
    })
    expect(identityFromTokens({ accessToken: at })).toEqual({
      accountId: 'acct-9',
      userId: 'user-9',
      accountUserId: 'user-9__acct-9',
      email: 'p@x.io',
      planType: 'pro',
      iat: 1_000_000,
      exp: 2_000_000,
    })
  })

  it('prefers the id token email, but takes exp/iat only from the access token', () => {
    const at = accessToken({ email: 'access@x.io', iat: 5000, exp: 9000 })
    const it_ = idToken({ email: 'id@x.io', iat: 1 })
    const id = identityFromTokens({ accessToken: at, idToken: it_ })
    expect(id.email).toBe('id@x.io')
    expect(id.iat).toBe(5_000_000)
    expect(id.exp).toBe(9_000_000)
  })

  it('falls back to user_id when chatgpt_user_id is absent', () => {
    const at = mintJwt({ exp: 10, [AUTH]: { chatgpt_account_id: 'a', user_id: 'u-fallback' } })
    expect(identityFromTokens({ accessToken: at }).userId).toBe('u-fallback')
  })

  it('falls back to the profile email and to id-token auth claims', () => {
    const at = mintJwt({ exp: 10, [PROFILE]: { email: 'profile@x.io' } })
    const it_ = mintJwt({ [AUTH]: { chatgpt_account_id: 'from-id', chatgpt_plan_type: 'team' } })
    expect(identityFromTokens({ accessToken: at, idToken: it_ })).toEqual({
      email: 'profile@x.io',
      accountId: 'from-id',
      planType: 'team',
      exp: 10_000,
    })
  })

  it('takes account claims from the fresher access token over a stale id token', () => {
    const at = accessToken({ plan: 'pro' })
    const it_ = idToken({ plan: 'plus' })
    expect(identityFromTokens({ accessToken: at, idToken: it_ }).planType).toBe('pro')
  })

  it('yields an empty identity for garbage, without throwing', () => {
    expect(identityFromTokens({ accessToken: 'garbage', idToken: 'x.y.z' })).toEqual({})
  })
})

describe('isNewerToken', () => {
  it('compares iat first', () => {
    const older = accessToken({ iat: 1000, exp: 99_999 })
    const newer = accessToken({ iat: 2000, exp: 3000 })
    expect(isNewerToken(newer, older)).toBe(true)
    expect(isNewerToken(older, newer)).toBe(false)
  })

  it('falls back to exp when iat is equal or missing', () => {
    const a = accessToken({ iat: 1000, exp: 5000 })
    const b = accessToken({ iat: 1000, exp: 6000 })
    expect(isNewerToken(b, a)).toBe(true)
    expect(isNewerToken(a, b)).toBe(false)
    expect(isNewerToken(mintJwt({ exp: 7 }), mintJwt({ iat: 1, exp: 6 }))).toBe(true)
  })

  it('is false when undecidable', () => {
    const t = accessToken({ iat: 1000, exp: 5000 })
    expect(isNewerToken(t, t)).toBe(false)
    expect(isNewerToken('opaque', t)).toBe(false)
    expect(isNewerToken(t, 'opaque')).toBe(false)
    expect(isNewerToken(mintJwt({ a: 1 }), mintJwt({ b: 2 }))).toBe(false)
  })
})

describe('sameIdentity', () => {
  it('tells two team seats apart (same accountId, different userId)', () => {
    const a = { accountId: 'team', userId: 'alice', email: 'same@x.io' }
    const b = { accountId: 'team', userId: 'bob', email: 'same@x.io' }
    expect(sameIdentity(a, b)).toBe(false)
  })

  it('tells one person in two workspaces apart (same userId and email, different accountId)', () => {
    expect(
      sameIdentity({ accountId: 'w1', userId: 'u', email: 'e@x' }, { accountId: 'w2', userId: 'u', email: 'e@x' }),
    ).toBe(false)
  })

  it('matches on the (accountId, userId) pair, even when emails differ', () => {
    expect(
      sameIdentity({ accountId: 'a', userId: 'u', email: 'old@x' }, { accountId: 'a', userId: 'u', email: 'new@x' }),
    ).toBe(true)
  })

  it('falls back to email only when ids are missing on one side', () => {
    expect(sameIdentity({ email: 'E@x.io ' }, { accountId: 'a', userId: 'u', email: 'e@x.io' })).toBe(true)
    expect(sameIdentity({ accountId: 'a', email: 'e@x.io' }, { accountId: 'a', userId: 'u', email: 'e@x.io' })).toBe(
      true,
    )
    expect(sameIdentity({ accountId: 'b', email: 'e@x.io' }, { accountId: 'a', userId: 'u', email: 'e@x.io' })).toBe(
      false,
    )
    expect(sameIdentity({ email: 'e@x.io' }, { email: 'f@x.io' })).toBe(false)
    expect(sameIdentity({}, {})).toBe(false)
  })
})
