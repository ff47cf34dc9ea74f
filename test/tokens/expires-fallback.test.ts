/**
 * A new pair without any expiry (no `expires_in`, no `exp` claim) keeps the expiry the
 * account had (docs/architecture.md#invariants, 4): never 0, which would make a healthy
 * account look expired and be refreshed on every request.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { OAuthClient, TokenSet } from '../../daemon/auth/oauth-client.js'
import { silentLogger } from '../../daemon/deps.js'
import { EventBus } from '../../daemon/events.js'
import { AccountStore } from '../../daemon/store/store.js'
import { Refresher } from '../../daemon/tokens/refresher.js'
import { claimsFor, mintJwt, mintTokens } from '../fakes/jwt.js'
import { identity } from '../helpers/accounts.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'

/** An access token with the identity claims and an `iat`, but no `exp`. */
function accessTokenWithoutExp(n: number, iatS: number): string {
  const claims: Record<string, unknown> = { ...claimsFor(identity(n), iatS, 0), jti: `no-exp-${iatS}` }
  delete claims.exp
  return mintJwt(claims)
}

describe('a pair without an expiry keeps the existing expiresAt', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  it('when accounts.add brings newer tokens for a known account', async () => {
    const t: TestApp = await startTestApp({ noKeepAlive: true })
    cleanups.push(() => t.close())
    const nowS = Math.floor(Date.now() / 1000)
    const first = mintTokens(identity(1), { iat: nowS - 60, expiresInS: 5 * 86_400 })
    const added = await t.client.call('accounts.add', { ...first, refreshToken: 'rt-first' })
    expect(added.expiresAt).toBe((nowS - 60 + 5 * 86_400) * 1000)

    const again = await t.client.call('accounts.add', {
      accessToken: accessTokenWithoutExp(1, nowS),
      refreshToken: 'rt-second',
    })
    expect(again.alias).toBe(added.alias)
    expect(t.app.components.store.data.accounts[added.alias]?.refreshToken).toBe('rt-second')
    expect(again.expiresAt).toBe(added.expiresAt)
  })

  it('when a refresh answers without expires_in and with an access token that has no exp', async () => {
    const root = mkdtempSync(join(tmpdir(), 'oma-exp-'))
    const clock = new FakeClock()
    const store = await AccountStore.open({ file: join(root, 'accounts.json'), logger: silentLogger, clock })
    cleanups.push(async () => {
      await store.close()
      rmSync(root, { recursive: true, force: true })
    })
    const nowS = Math.floor(clock.now() / 1000)
    const first = mintTokens(identity(1), { iat: nowS - 60, expiresInS: 3600 })
    const expiresAt = (nowS - 60 + 3600) * 1000
    await store.update((d) => {
      d.accounts.user1 = {
        alias: 'user1',
        ...first,
        refreshToken: 'rt-0',
        expiresAt,
        accountId: identity(1).accountId,
        userId: identity(1).userId,
        email: identity(1).email,
        usageCount: 0,
        enabled: true,
      }
    })
    const oauth: OAuthClient = {
      refresh: (): Promise<TokenSet> =>
        Promise.resolve({ accessToken: accessTokenWithoutExp(1, nowS), refreshToken: 'rt-1' }),
      exchangeCode: () => Promise.reject(new Error('not used')),
      revoke: () => Promise.resolve(true),
    }
    const refresher = new Refresher({ store, oauth, bus: new EventBus(clock), clock, logger: silentLogger })
    const saved = await refresher.refresh('user1', 'test')
    expect(saved.refreshToken).toBe('rt-1')
    expect(saved.expiresAt).toBe(expiresAt)
    expect(store.data.accounts.user1?.expiresAt).toBe(expiresAt)
  })
})
