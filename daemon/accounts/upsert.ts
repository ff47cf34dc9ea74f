import { identityFromTokens, isNewerToken, sameIdentity, type TokenIdentity } from '../auth/jwt.js'
import { applyGrant } from '../store/account-state.js'
import { peekAccounts } from '../store/draft.js'
import type { Account, StoreData } from '../store/schema.js'
import { buildAlias } from './alias.js'

export interface IncomingTokens {
  accessToken: string
  refreshToken: string
  idToken?: string
  expiresAt?: number
  lastRefresh?: string
}

export type UpsertAction = 'added' | 'updated' | 'unchanged' | 'older'

export interface UpsertResult {
  alias: string
  action: UpsertAction
}

export class AliasConflictError extends Error {}
/** Tokens without the ChatGPT identity claims cannot be told apart or kept alive. */
export class NotChatGptTokenError extends Error {}

export function findByIdentity(data: StoreData, identity: TokenIdentity): string | undefined {
  // Read-only: scanning a draft must not copy every account of the pool.
  for (const [alias, acc] of Object.entries(peekAccounts(data))) {
    const known = { accountId: acc.accountId, userId: acc.userId, accountUserId: acc.accountUserId, email: acc.email }
    if (sameIdentity(known, identity)) return alias
  }
  return undefined
}

/**
 * The one place tokens from outside (CLI, sign-in, Codex auth.json) enter the
 * store. Identity decides which account they belong to (docs/architecture.md#invariants, 6); an older
 * pair never replaces a newer one (4).
 */
export function upsertTokens(
  draft: StoreData,
  incoming: IncomingTokens,
  opts: { now: number; source: string; alias?: string },
): UpsertResult {
  const identity = identityFromTokens(incoming)
  if (!identity.accountId && !identity.email) {
    throw new NotChatGptTokenError(
      'the access token is not a ChatGPT access token: it carries no account id or email claim',
    )
  }
  const found = findByIdentity(draft, identity)
  const known = found === undefined ? undefined : draft.accounts[found]
  if (found !== undefined && known) {
    const acc = known
    if (acc.accessToken === incoming.accessToken && acc.refreshToken === incoming.refreshToken) {
      return { alias: found, action: 'unchanged' }
    }
    if (isNewerToken(acc.accessToken, incoming.accessToken)) return { alias: found, action: 'older' }
    applyTokens(acc, incoming, identity, opts.now)
    return { alias: found, action: 'updated' }
  }
  if (opts.alias && draft.accounts[opts.alias]) {
    throw new AliasConflictError(`alias ${opts.alias} already belongs to another account`)
  }
  const alias = opts.alias ?? buildAlias(identity.email, (a) => a in draft.accounts)
  const acc: Account = {
    alias,
    accessToken: incoming.accessToken,
    refreshToken: incoming.refreshToken,
    expiresAt: 0,
    usageCount: 0,
    enabled: true,
    source: opts.source,
    addedAt: opts.now,
  }
  applyTokens(acc, incoming, identity, opts.now)
  draft.accounts[alias] = acc
  if (!draft.activeAlias) draft.activeAlias = alias
  return { alias, action: 'added' }
}

function applyTokens(acc: Account, t: IncomingTokens, id: TokenIdentity, now: number): void {
  // A new grant supersedes whatever made the old one fail.
  applyGrant(acc, t, id, now)
}
