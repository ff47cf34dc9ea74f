import { describe, expect, it } from 'vitest'
import {
  applyGrant,
  CLEARED_BY_NEW_GRANT,
  clearForce,
  clearForceIfPinned,
  clearRefreshPending,
  markAuthInvalid,
  markRefreshPending,
  recordRefreshFailure,
  rememberStrategyForForce,
  setCooldown,
  setEnabled,
  setForce,
  setModelUnsupported,
  setRateLimited,
  setWorkspaceDeactivated,
} from '../../daemon/store/account-state.js'
import { upsertTokens } from '../../daemon/accounts/upsert.js'
import { emptyStore, type Account, type StoreData } from '../../daemon/store/schema.js'
import { mintTokens } from '../fakes/jwt.js'

const NOW = 1_800_000_000_000

/** An account carrying every failure mark a grant can leave behind. */
function troubled(): Account {
  return {
    alias: 'a',
    accessToken: 'old-access',
    refreshToken: 'old-refresh',
    expiresAt: NOW - 1,
    usageCount: 3,
    enabled: true,
    authInvalid: true,
    authInvalidatedAt: NOW - 10,
    authInvalidReason: 'rejected',
    cooldownUntil: NOW + 60_000,
    cooldownReason: 'busy',
    refreshFailures: 4,
    nextRefreshAt: NOW + 5,
    refreshPendingSince: NOW - 100,
    rateLimitedUntil: NOW + 1000,
    rateLimitReason: 'usage limit reached',
    tags: ['work'],
  }
}

describe('account state transitions', () => {
  it('a new grant stores the tokens and clears every failure mark, and only those', () => {
    const a = troubled()
    applyGrant(a, { accessToken: 'new-access', refreshToken: 'new-refresh', expiresAt: NOW + 3600_000 }, {}, NOW)
    expect(a.accessToken).toBe('new-access')
    expect(a.refreshToken).toBe('new-refresh')
    expect(a.expiresAt).toBe(NOW + 3600_000)
    expect(a.lastRefresh).toBe(new Date(NOW).toISOString())
    for (const k of CLEARED_BY_NEW_GRANT) expect(a, k).not.toHaveProperty(k)
    // A usage limit belongs to the account, not to the grant.
    expect(a.rateLimitedUntil).toBe(NOW + 1000)
    expect(a.tags).toEqual(['work'])
    expect(a.usageCount).toBe(3)
  })

  it('a grant without refresh token or expiry keeps the old refresh token, then the JWT exp, then the old expiry', () => {
    const a = troubled()
    applyGrant(a, { accessToken: 'x' }, { exp: NOW + 5 }, NOW)
    expect(a.refreshToken).toBe('old-refresh')
    expect(a.expiresAt).toBe(NOW + 5)
    applyGrant(a, { accessToken: 'y' }, {}, NOW)
    expect(a.expiresAt).toBe(NOW + 5)
  })

  it('the refresher and the sign-in/adoption path clear the same fields (one clear-list)', () => {
    // Through upsertTokens (sign-in, accounts.add, Codex adoption) on an existing account.
    const d: StoreData = emptyStore(NOW)
    const who = { accountId: 'acc-1', userId: 'u-1', email: 'a@example.com' }
    const first = mintTokens(who, { iat: NOW / 1000 - 10 }).accessToken
    const { alias } = upsertTokens(d, { accessToken: first, refreshToken: 'r1' }, { now: NOW, source: 'test' })
    Object.assign(d.accounts[alias], { ...troubled(), alias, accessToken: first, refreshToken: 'r1' })
    const second = mintTokens(who, { iat: NOW / 1000 }).accessToken
    expect(upsertTokens(d, { accessToken: second, refreshToken: 'r2' }, { now: NOW, source: 'test' }).action).toBe(
      'updated',
    )
    for (const k of CLEARED_BY_NEW_GRANT) expect(d.accounts[alias], k).not.toHaveProperty(k)
  })

  it('auth invalid, cooldown, pending and keep-alive back-off each set only their own fields', () => {
    const a: Account = { accessToken: 'x', refreshToken: 'y', expiresAt: 0, usageCount: 0 }
    markAuthInvalid(a, 'rejected', NOW)
    expect(a).toMatchObject({ authInvalid: true, authInvalidatedAt: NOW, authInvalidReason: 'rejected' })
    setCooldown(a, NOW + 9, 'busy')
    expect(a).toMatchObject({ cooldownUntil: NOW + 9, cooldownReason: 'busy', authInvalid: true })
    markRefreshPending(a, NOW)
    expect(a.refreshPendingSince).toBe(NOW)
    clearRefreshPending(a)
    expect(a).not.toHaveProperty('refreshPendingSince')
    recordRefreshFailure(a, 2, NOW + 120_000)
    expect(a).toMatchObject({ refreshFailures: 2, nextRefreshAt: NOW + 120_000 })
  })

  it('a rate limit is never shortened by a later, shorter report', () => {
    const a: Account = { accessToken: 'x', refreshToken: 'y', expiresAt: 0, usageCount: 0 }
    setRateLimited(a, NOW + 1000, 'first')
    setRateLimited(a, NOW + 10, 'second')
    expect(a).toMatchObject({ rateLimitedUntil: NOW + 1000, rateLimitReason: 'second' })
  })

  it('model-unsupported forgets a model it no longer knows; workspace-deactivated records when', () => {
    const a: Account = { accessToken: 'x', refreshToken: 'y', expiresAt: 0, usageCount: 0 }
    setModelUnsupported(a, { model: 'gpt-x', until: NOW + 1, error: 'no' }, NOW)
    expect(a).toMatchObject({ modelUnsupportedModel: 'gpt-x', modelUnsupportedAt: NOW, modelUnsupportedUntil: NOW + 1 })
    setModelUnsupported(a, { model: undefined, until: NOW + 2, error: 'no' }, NOW)
    expect(a).not.toHaveProperty('modelUnsupportedModel')
    setWorkspaceDeactivated(a, NOW + 3, 'gone', NOW)
    expect(a).toMatchObject({
      workspaceDeactivatedAt: NOW,
      workspaceDeactivatedUntil: NOW + 3,
      workspaceDeactivatedError: 'gone',
    })
  })

  it('enabling clears who disabled it, when and why', () => {
    const a: Account = { accessToken: 'x', refreshToken: 'y', expiresAt: 0, usageCount: 0 }
    setEnabled(a, false, NOW)
    expect(a).toMatchObject({ enabled: false, disabledAt: NOW, disabledBy: 'user' })
    a.disableReason = 'why'
    setEnabled(a, true, NOW)
    expect(a.enabled).toBe(true)
    for (const k of ['disabledAt', 'disabledBy', 'disableReason']) expect(a).not.toHaveProperty(k)
  })

  it('ending a pin clears all four force fields, whoever ends it', () => {
    const d = emptyStore(NOW)
    setForce(d, 'a', NOW + 10, 'round-robin')
    expect(d).toMatchObject({ forcedAlias: 'a', forcedUntil: NOW + 10, forcedBy: 'user' })
    rememberStrategyForForce(d, 'random')
    expect(clearForce(d)).toBe('random')
    const cleared = { forcedAlias: null, forcedUntil: null, forcedBy: null, previousRotationStrategy: null }
    expect(d).toMatchObject(cleared)

    setForce(d, 'a', NOW + 10, 'round-robin')
    clearForceIfPinned(d, 'b')
    expect(d.forcedAlias).toBe('a')
    clearForceIfPinned(d, 'a')
    expect(d).toMatchObject(cleared)
  })
})
