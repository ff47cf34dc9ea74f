import { describe, expect, it } from 'vitest'
import { AUTH_CLAIM, PROFILE_CLAIM, authClaimOf, decodeJwt, mintJwt, mintTokens } from './jwt.js'

const alice = { email: 'alice@example.com', accountId: 'acct-A', userId: 'user-a', planType: 'pro' }

describe('fake JWTs', () => {
  it('are three base64url parts with an RS256 header', () => {
    const token = mintJwt({ exp: 2, iat: 1 })
    const [h, p, s] = token.split('.')
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({ exp: 2, iat: 1 })
    expect(s.length).toBeGreaterThan(0)
  })

  it('carry the real claim layout', () => {
    const { accessToken, idToken } = mintTokens(alice, { iat: 1_000, expiresInS: 60 })
    const claims = decodeJwt(accessToken)
    expect(claims).toMatchObject({
      iat: 1_000,
      exp: 1_060,
      email: 'alice@example.com',
      [PROFILE_CLAIM]: { email: 'alice@example.com' },
      [AUTH_CLAIM]: {
        chatgpt_account_id: 'acct-A',
        chatgpt_user_id: 'user-a',
        user_id: 'user-a',
        chatgpt_account_user_id: 'user-a__acct-A',
        chatgpt_plan_type: 'pro',
      },
    })
    expect(authClaimOf(idToken)?.chatgpt_account_id).toBe('acct-A')
    // id_tokens are short-lived like the real ones; the account's expiry is the access token's.
    expect(decodeJwt(idToken).exp).toBe(1_000 + 3_600)
  })

  it('default to plan plus, now, and a ten-day lifetime', () => {
    const before = Math.floor(Date.now() / 1000)
    const claims = decodeJwt(mintTokens({ email: 'b@x', accountId: 'a', userId: 'u' }).accessToken)
    expect(claims.iat).toBeGreaterThanOrEqual(before)
    expect(Number(claims.exp) - Number(claims.iat)).toBe(864_000)
    expect(authClaimOf(mintTokens({ email: 'b@x', accountId: 'a', userId: 'u' }).accessToken)?.chatgpt_plan_type).toBe(
      'plus',
    )
  })

  it('differ even when minted in the same second for the same identity', () => {
    const a = mintTokens(alice, { iat: 5 })
    const b = mintTokens(alice, { iat: 5 })
    expect(a.accessToken).not.toBe(b.accessToken)
  })

  it('decodeJwt refuses what is not a JWT', () => {
    expect(() => decodeJwt('abc')).toThrow()
    expect(authClaimOf('a.b.c')).toBeUndefined()
  })
})
