/**
 * Local JWT minting for the auth tests (kept here on purpose: test/fakes/jwt.ts is
 * written concurrently and these tests must not depend on it). Unsigned: the
 * decoder never verifies signatures.
 */
export const AUTH = 'https://api.openai.com/auth'
export const PROFILE = 'https://api.openai.com/profile'

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url')
}

export function mintJwt(payload: Record<string, unknown>): string {
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}.${b64url('signature-bytes')}`
}

export interface SeatClaims {
  accountId?: string
  userId?: string
  email?: string
  plan?: string
  iat?: number
  exp?: number
}

/** An access token with the claim layout the real issuer uses (seconds since epoch). */
export function accessToken(c: SeatClaims = {}): string {
  const iat = c.iat ?? 1_790_000_000
  return mintJwt({
    iat,
    exp: c.exp ?? iat + 864_000,
    [PROFILE]: { email: c.email ?? 'user@example.com', email_verified: true },
    [AUTH]: {
      chatgpt_account_id: c.accountId ?? 'acct-1',
      chatgpt_user_id: c.userId ?? 'user-1',
      user_id: c.userId ?? 'user-1',
      chatgpt_account_user_id: `${c.userId ?? 'user-1'}__${c.accountId ?? 'acct-1'}`,
      chatgpt_plan_type: c.plan ?? 'plus',
    },
  })
}

export function idToken(c: SeatClaims = {}): string {
  const iat = c.iat ?? 1_790_000_000
  return mintJwt({
    iat,
    exp: iat + 3600,
    email: c.email ?? 'user@example.com',
    [AUTH]: { chatgpt_account_id: c.accountId ?? 'acct-1', chatgpt_plan_type: c.plan ?? 'plus' },
  })
}
