/**
 * The one JWT decoder of the project (the old plugin had several that disagreed).
 *
 * We only ever read claims from tokens the issuer handed us over TLS; we never
 * verify signatures, because nothing here makes a trust decision from a token
 * that did not come straight from the issuer or from the user's own files.
 */

const AUTH_CLAIM = 'https://api.openai.com/auth'
const PROFILE_CLAIM = 'https://api.openai.com/profile'

// Buffer's base64url decoder silently skips characters outside the alphabet,
// so validate first: a corrupted token must decode to null, not to half a payload.
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

export type JwtPayload = Record<string, unknown>

/** The payload of a compact JWS as an object, or null for anything else. Never throws. */
export function decodeJwtPayload(token: string): JwtPayload | null {
  if (typeof token !== 'string') return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const payload = parts[1]
  if (!payload || !BASE64URL.test(payload)) return null
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    return isRecord(parsed) ? parsed : null
  } catch {
    return null
  }
}

/** Three non-empty parts and a payload that parses to an object (what Codex demands of `id_token`). */
export function isJwt(s: string): boolean {
  if (typeof s !== 'string') return false
  const parts = s.split('.')
  return parts.length === 3 && parts.every((p) => p.length > 0) && decodeJwtPayload(s) !== null
}

export interface TokenIdentity {
  accountId?: string
  userId?: string
  accountUserId?: string
  email?: string
  planType?: string
  /** Access token expiry, epoch ms. */
  exp?: number
  /** Access token issue time, epoch ms. */
  iat?: number
}

export interface TokenPair {
  accessToken: string
  idToken?: string
}

/**
 * Identity claims from an access token and, optionally, its id token.
 *
 * - email: the id token first (it is the OIDC profile token), then the access token.
 * - account/user/plan claims: the access token first. A refresh response may omit
 *   `id_token`, leaving the caller with a fresh access token and an old id token;
 *   the access token is what the backend authorizes, and it carries a plan change
 *   first. The id token fills in whatever the access token lacks.
 * - exp/iat: the access token only. The id token's lifetime is unrelated (about an
 *   hour), so using it would make a healthy account look expired.
 */
export function identityFromTokens(tokens: TokenPair): TokenIdentity {
  const access = decodeJwtPayload(tokens.accessToken)
  const id = tokens.idToken ? decodeJwtPayload(tokens.idToken) : null
  const accessAuth = claimObject(access, AUTH_CLAIM)
  const idAuth = claimObject(id, AUTH_CLAIM)
  const fromAuth = (...keys: string[]): string | undefined => firstString(accessAuth, keys) ?? firstString(idAuth, keys)

  const identity: TokenIdentity = {
    accountId: fromAuth('chatgpt_account_id'),
    userId: fromAuth('chatgpt_user_id', 'user_id'),
    accountUserId: fromAuth('chatgpt_account_user_id'),
    email: emailOf(id) ?? emailOf(access),
    planType: fromAuth('chatgpt_plan_type'),
    exp: secondsToMs(access?.exp),
    iat: secondsToMs(access?.iat),
  }
  // Drop absent keys so callers can spread the result over an account without
  // clobbering known values with undefined.
  for (const key of Object.keys(identity) as (keyof TokenIdentity)[]) {
    if (identity[key] === undefined) delete identity[key]
  }
  return identity
}

/**
 * True only when `candidate` is provably newer than `current` (docs/architecture.md#invariants, 4): a
 * later `iat`, or the same/unknown `iat` and a later `exp`. Anything undecidable
 * is "not newer", so an unreadable token never replaces a readable one.
 */
export function isNewerToken(candidate: string, current: string): boolean {
  const a = decodeJwtPayload(candidate)
  const b = decodeJwtPayload(current)
  if (!a || !b) return false
  const iatA = secondsToMs(a.iat)
  const iatB = secondsToMs(b.iat)
  if (iatA !== undefined && iatB !== undefined && iatA !== iatB) return iatA > iatB
  const expA = secondsToMs(a.exp)
  const expB = secondsToMs(b.exp)
  if (expA !== undefined && expB !== undefined && expA !== expB) return expA > expB
  return false
}

export type IdentityKey = Pick<TokenIdentity, 'accountId' | 'userId' | 'accountUserId' | 'email'>

/**
 * Whether two identities are the same ChatGPT seat (docs/architecture.md#invariants, 6). Team seats share
 * `accountId`, and one person in several workspaces shares `email`, so neither alone
 * identifies a seat: the pair (accountId, userId) does. A contradiction on any id
 * both sides carry means different seats. Email decides only when one side lacks
 * the id pair (old stores, tokens without the auth claim).
 */
export function sameIdentity(a: IdentityKey, b: IdentityKey): boolean {
  for (const key of ['accountId', 'userId', 'accountUserId'] as const) {
    const x = a[key]
    const y = b[key]
    if (x && y && x !== y) return false
  }
  if (a.accountId && a.userId && b.accountId && b.userId) return true
  const ea = normalizeEmail(a.email)
  const eb = normalizeEmail(b.email)
  return ea !== undefined && ea === eb
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function claimObject(payload: JwtPayload | null, key: string): Record<string, unknown> | null {
  const v = payload?.[key]
  return isRecord(v) ? v : null
}

function firstString(obj: Record<string, unknown> | null, keys: string[]): string | undefined {
  if (!obj) return undefined
  for (const k of keys) {
    const v = obj[k]
    if (typeof v === 'string' && v.length > 0) return v
  }
  return undefined
}

function emailOf(payload: JwtPayload | null): string | undefined {
  return firstString(payload, ['email']) ?? firstString(claimObject(payload, PROFILE_CLAIM), ['email'])
}

function secondsToMs(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v * 1000 : undefined
}

// Mail providers treat addresses case-insensitively, and stores may hold
// hand-typed values, so compare trimmed lower-case forms.
function normalizeEmail(e: string | undefined): string | undefined {
  const t = e?.trim().toLowerCase()
  return t ? t : undefined
}
