/**
 * Mints JWTs with the claim layout ChatGPT sign-in really produces, so the code under
 * test decodes fakes exactly as it decodes real tokens. The signature is junk on
 * purpose: nothing on our side verifies it (only OpenAI could), and a fake that looked
 * verifiable would invite code that pretends to.
 */
import { randomBytes } from 'node:crypto'

export const AUTH_CLAIM = 'https://api.openai.com/auth'
export const PROFILE_CLAIM = 'https://api.openai.com/profile'

/** Who a token belongs to. (accountId, userId) is the identity; team seats share accountId. */
export interface Identity {
  email: string
  accountId: string
  userId: string
  /** free, plus, pro, team, business, enterprise, edu, ... Default "plus". */
  planType?: string
}

export interface AuthClaim {
  chatgpt_account_id: string
  chatgpt_user_id: string
  user_id: string
  chatgpt_account_user_id: string
  chatgpt_plan_type: string
}

export interface JwtClaims {
  /** Epoch seconds. */
  exp: number
  /** Epoch seconds. */
  iat: number
  email: string
  [PROFILE_CLAIM]: { email: string; email_verified?: boolean }
  [AUTH_CLAIM]: AuthClaim
}

/** Any subset of the known claims, plus whatever extra claims a test wants. */
export type MintableClaims = Partial<JwtClaims> & { [claim: string]: unknown }

const b64u = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** Three dot-separated base64url parts; header says RS256 like the real ones. */
export function mintJwt(claims: MintableClaims): string {
  const header = { alg: 'RS256', typ: 'JWT', kid: 'fake-key' }
  return `${b64u(header)}.${b64u(claims)}.${randomBytes(32).toString('base64url')}`
}

/** Decodes the payload without verifying anything (tests and fakes only). */
export function decodeJwt(token: string): Record<string, unknown> {
  const parts = token.split('.')
  if (parts.length !== 3) throw new Error('not a three-part JWT')
  const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error('JWT payload is not an object')
  }
  return payload as Record<string, unknown>
}

/** The auth claim of a token we (or a client) hold, or undefined when it is not there. */
export function authClaimOf(token: string): Partial<AuthClaim> | undefined {
  let payload: Record<string, unknown>
  try {
    payload = decodeJwt(token)
  } catch {
    return undefined
  }
  const auth = payload[AUTH_CLAIM]
  return typeof auth === 'object' && auth !== null ? auth : undefined
}

export function claimsFor(identity: Identity, iat: number, exp: number): JwtClaims {
  return {
    exp,
    iat,
    email: identity.email,
    [PROFILE_CLAIM]: { email: identity.email, email_verified: true },
    [AUTH_CLAIM]: {
      chatgpt_account_id: identity.accountId,
      chatgpt_user_id: identity.userId,
      user_id: identity.userId,
      chatgpt_account_user_id: `${identity.userId}__${identity.accountId}`,
      chatgpt_plan_type: identity.planType ?? 'plus',
    },
  }
}

export interface MintOptions {
  /** Epoch seconds; default now. */
  iat?: number
  /** Access-token lifetime; default 864000 (10 days, like the real issuer). */
  expiresInS?: number
}

export const DEFAULT_ACCESS_TTL_S = 864_000
/** Real id_tokens live one hour; nothing should read an account's expiry from them. */
export const ID_TOKEN_TTL_S = 3_600

export function mintTokens(identity: Identity, opts: MintOptions = {}): { accessToken: string; idToken: string } {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000)
  const ttl = opts.expiresInS ?? DEFAULT_ACCESS_TTL_S
  // jti keeps two tokens minted in the same second for the same identity distinct.
  const access = {
    ...claimsFor(identity, iat, iat + ttl),
    jti: randomBytes(8).toString('hex'),
    scp: ['openid', 'profile', 'email', 'offline_access'],
  }
  const id = { ...claimsFor(identity, iat, iat + ID_TOKEN_TTL_S), jti: randomBytes(8).toString('hex') }
  return { accessToken: mintJwt(access), idToken: mintJwt(id) }
}
