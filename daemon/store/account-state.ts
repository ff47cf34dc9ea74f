import type { Account, StoreData } from './schema.js'

/**
 * The one owner of the fields that say how an account is: signed out (auth
 * invalid), resting (cooldown), backing off (refresh failures), limited, and
 * which account is pinned (force). Every change to them goes through a
 * transition here, and each transition says what it clears, so two callers
 * can no longer disagree about what "a new token pair" or "the pin ended"
 * means. `test/store/account-state.test.ts` pins each transition down.
 *
 * Every function works on a draft inside `AccountStore.update` (or `touch`).
 */

/** What a new grant (a refresh, a sign-in, an adoption from Codex) supersedes. */
export const CLEARED_BY_NEW_GRANT = [
  'authInvalid',
  'authInvalidatedAt',
  'authInvalidReason',
  'cooldownUntil',
  'cooldownReason',
  'refreshFailures',
  'nextRefreshAt',
  'refreshPendingSince',
] as const satisfies readonly (keyof Account)[]

/** The tokens of a grant; identity and plan are read from the JWTs by the caller. */
export interface Grant {
  accessToken: string
  /** Absent when the issuer kept the refresh token (it may answer without one). */
  refreshToken?: string
  idToken?: string
  /** Epoch ms; absent falls back to the JWT's exp, else the value the account had. */
  expiresAt?: number
  lastRefresh?: string
}

/** The claims of the new tokens worth keeping on the account. */
export interface GrantClaims {
  exp?: number
  planType?: string
  accountId?: string
  userId?: string
  accountUserId?: string
  email?: string
}

/**
 * Stores a new token pair and clears everything the old grant's failures left:
 * a working grant is not signed out, not resting and not backing off, and the
 * token the crash check would test is no longer the stored one.
 */
export function applyGrant(a: Account, grant: Grant, claims: GrantClaims, now: number): void {
  a.accessToken = grant.accessToken
  if (grant.refreshToken) a.refreshToken = grant.refreshToken
  if (grant.idToken) a.idToken = grant.idToken
  // Never undefined: explicit value, else the JWT's exp, else what we had.
  a.expiresAt = grant.expiresAt ?? claims.exp ?? a.expiresAt
  a.lastRefresh = grant.lastRefresh ?? new Date(now).toISOString()
  if (claims.accountId) a.accountId = claims.accountId
  if (claims.userId) a.userId = claims.userId
  if (claims.accountUserId) a.accountUserId = claims.accountUserId
  if (claims.email) a.email = claims.email
  if (claims.planType) a.planType = claims.planType
  for (const k of CLEARED_BY_NEW_GRANT) delete a[k]
}

/** Written durably before a refresh token is presented: the next start checks it if we die meanwhile. */
export function markRefreshPending(a: Account, now: number): void {
  a.refreshPendingSince = now
}

export function clearRefreshPending(a: Account): void {
  delete a.refreshPendingSince
}

/** The issuer rejected the grant for good: skipped until a new grant arrives. */
export function markAuthInvalid(a: Account, reason: string, now: number): void {
  a.authInvalid = true
  a.authInvalidatedAt = now
  a.authInvalidReason = reason
}

/** A transient failure (refresh, a 403 not about the token): rest until `until`. */
export function setCooldown(a: Account, until: number, reason: string): void {
  a.cooldownUntil = until
  a.cooldownReason = reason
}

/** Keep-alive's back-off after a failed refresh: the count so far and when to try again. */
export function recordRefreshFailure(a: Account, failures: number, retryAt: number): void {
  a.refreshFailures = failures
  a.nextRefreshAt = retryAt
}

/** A usage limit; several reports of one limit never shorten a known one. */
export function setRateLimited(a: Account, until: number, reason: string): void {
  a.rateLimitedUntil = Math.max(until, a.rateLimitedUntil ?? 0)
  a.rateLimitReason = reason
}

export function setModelUnsupported(
  a: Account,
  f: { model: string | undefined; until: number; error: string },
  now: number,
): void {
  a.modelUnsupportedAt = now
  a.modelUnsupportedUntil = f.until
  if (f.model) a.modelUnsupportedModel = f.model
  else delete a.modelUnsupportedModel
  a.modelUnsupportedError = f.error
}

export function setWorkspaceDeactivated(a: Account, until: number, error: string, now: number): void {
  a.workspaceDeactivatedAt = now
  a.workspaceDeactivatedUntil = until
  a.workspaceDeactivatedError = error
}

/** Enabling forgets who disabled it and why; disabling records when and by whom. */
export function setEnabled(a: Account, enabled: boolean, now: number, by = 'user'): void {
  a.enabled = enabled
  if (enabled) {
    delete a.disabledAt
    delete a.disabledBy
    delete a.disableReason
  } else {
    a.disabledAt = now
    a.disabledBy = by
  }
}

/** Pins `alias` until `until`; `previousStrategy` is what the pin's end restores. */
export function setForce(d: StoreData, alias: string, until: number, previousStrategy: string): void {
  d.forcedAlias = alias
  d.forcedUntil = until
  d.forcedBy = 'user'
  d.previousRotationStrategy = previousStrategy
}

/** A strategy chosen during a pin becomes the one its end restores. */
export function rememberStrategyForForce(d: StoreData, strategy: string): void {
  d.previousRotationStrategy = strategy
}

/**
 * Ends the pin, whoever ends it (the user, removing or disabling the pinned
 * account). Returns the strategy it remembered, for the caller to restore.
 */
export function clearForce(d: StoreData): string | null {
  const previous = d.previousRotationStrategy ?? null
  d.forcedAlias = null
  d.forcedUntil = null
  d.forcedBy = null
  d.previousRotationStrategy = null
  return previous
}

/** Removing or disabling the pinned account ends the pin. */
export function clearForceIfPinned(d: StoreData, alias: string): void {
  if (d.forcedAlias === alias) clearForce(d)
}
