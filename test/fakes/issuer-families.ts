/**
 * Refresh-token families, the part of auth.openai.com the daemon exists to respect:
 * every refresh token is single-use, each refresh hands out its successor, and
 * presenting a spent one revokes the whole family (the account must sign in again).
 * Kept apart from HTTP so the rules read in one place.
 */
import { randomBytes } from 'node:crypto'
import { mintTokens, type Identity } from './jwt.js'

export interface IssuedTokens {
  accessToken: string
  refreshToken: string
  idToken: string
  /** Seconds the access token is valid from now. */
  expiresIn: number
  family: string
}

export type RefreshRejection = 'reused' | 'invalidated' | 'expired' | 'unknown'
export type RefreshOutcome =
  { ok: true; tokens: IssuedTokens } | { ok: false; rejection: RefreshRejection; family?: string }

interface Family {
  id: string
  identity: Identity
  current: string
  /** Highest iat handed out, so every new access token is strictly newer than the last. */
  lastIat: number
  revoked: boolean
  /** Simulates a refresh token that died of disuse. */
  expired: boolean
}

export class TokenFamilies {
  private families = new Map<string, Family>()
  /** Every refresh token ever issued → its family and whether it has been used. */
  private refreshTokens = new Map<string, { family: string; spent: boolean }>()
  private accessTokens = new Map<string, string>()
  private seq = 0
  reuseDetected = 0

  constructor(private readonly nowMs: () => number) {}

  /** A fresh family, as after a sign-in. */
  create(identity: Identity, ttlS: number, iat?: number): IssuedTokens {
    const id = `fam-${++this.seq}`
    const family: Family = {
      id,
      identity: { ...identity },
      current: '',
      lastIat: -Infinity,
      revoked: false,
      expired: false,
    }
    this.families.set(id, family)
    return this.issue(family, ttlS, iat)
  }

  /** The token endpoint's refresh_token grant. */
  refresh(token: string, ttlS: number): RefreshOutcome {
    const entry = this.refreshTokens.get(token)
    if (!entry) return { ok: false, rejection: 'unknown' }
    const family = this.mustGet(entry.family)
    if (entry.spent) {
      // The real issuer treats reuse as theft: everything in the family dies.
      this.reuseDetected++
      family.revoked = true
      return { ok: false, rejection: 'reused', family: family.id }
    }
    if (family.revoked) return { ok: false, rejection: 'invalidated', family: family.id }
    if (family.expired) return { ok: false, rejection: 'expired', family: family.id }
    entry.spent = true
    return { ok: true, tokens: this.issue(family, ttlS) }
  }

  /** Revokes the family that a refresh or access token belongs to; false when unknown. */
  revokeByToken(token: string): boolean {
    const id = this.familyOf(token)
    if (id === undefined) return false
    this.mustGet(id).revoked = true
    return true
  }

  familyOf(token: string): string | undefined {
    return this.refreshTokens.get(token)?.family ?? this.accessTokens.get(token)
  }

  /** A family id, or an email (its most recent family). */
  resolve(familyOrEmail: string): string {
    if (this.families.has(familyOrEmail)) return familyOrEmail
    let found: string | undefined
    for (const f of this.families.values()) if (f.identity.email === familyOrEmail) found = f.id
    if (found === undefined) throw new Error(`fake issuer: no family or email ${familyOrEmail}`)
    return found
  }

  latestRefreshToken(familyOrEmail: string): string {
    return this.mustGet(this.resolve(familyOrEmail)).current
  }

  isSpent(refreshToken: string): boolean {
    return this.refreshTokens.get(refreshToken)?.spent ?? false
  }

  revoked(familyOrEmail: string): boolean {
    return this.mustGet(this.resolve(familyOrEmail)).revoked
  }

  revoke(familyOrEmail: string): void {
    this.mustGet(this.resolve(familyOrEmail)).revoked = true
  }

  /** Makes the family's current token answer `refresh_token_expired`, as after long disuse. */
  expire(familyOrEmail: string): void {
    this.mustGet(this.resolve(familyOrEmail)).expired = true
  }

  identityOf(familyOrEmail: string): Identity {
    return { ...this.mustGet(this.resolve(familyOrEmail)).identity }
  }

  private issue(family: Family, ttlS: number, iat?: number): IssuedTokens {
    const nowS = Math.floor(this.nowMs() / 1000)
    const at = iat ?? Math.max(family.lastIat + 1, nowS)
    family.lastIat = Math.max(family.lastIat, at)
    const { accessToken, idToken } = mintTokens(family.identity, { iat: at, expiresInS: ttlS })
    const refreshToken = `rt_${randomBytes(24).toString('base64url')}`
    family.current = refreshToken
    this.refreshTokens.set(refreshToken, { family: family.id, spent: false })
    this.accessTokens.set(accessToken, family.id)
    return {
      accessToken,
      refreshToken,
      idToken,
      expiresIn: Math.min(ttlS, Math.max(0, at + ttlS - nowS)),
      family: family.id,
    }
  }

  private mustGet(id: string): Family {
    const f = this.families.get(id)
    if (!f) throw new Error(`fake issuer: no family ${id}`)
    return f
  }
}
