import { describe, expect, it } from 'vitest'
import { addAccount } from '../helpers/accounts.js'
import { useIssuerApp } from '../helpers/issuer-app.js'

describe('rotation against the fake issuer', () => {
  // The daemon runs without keep-alive: it would refresh the expiring accounts on its own and eat the scripted failure.
  const fx = useIssuerApp()

  /** Accounts whose tokens are about to expire, so token.get must refresh the one it picks. */
  async function add(alias: string, n: number, expiresInS = 1): Promise<void> {
    await addAccount(fx.t.client, fx.issuer, n, expiresInS, alias)
  }

  it('weighted-round-robin: the weighted pick’s refresh fails → the same token.get returns the next healthy account', async () => {
    const { t, issuer } = fx
    await add('heavy', 1)
    await add('mid', 2)
    await add('light', 3)
    await t.client.call('settings.update', {
      rotationStrategy: 'weighted-round-robin',
      accountWeights: { heavy: 0.6, mid: 0.3, light: 0.1 },
    })
    expect((await t.client.call('rotation.get', {})).order.map((o) => o.alias)).toEqual(['heavy', 'mid', 'light'])
    // The first refresh the issuer sees is the pick's; invalid_grant is permanent (no retry).
    issuer.failNext(1, 'invalid_grant')
    const got = await t.client.call('token.get', {})
    expect(got.alias).toBe('mid')
    expect(issuer.refreshCalls).toBe(2)
    expect((await t.client.call('accounts.get', { alias: 'heavy' })).health).toBe('auth_invalid')
    expect(issuer.reuseDetected).toBe(0)
  })

  it('403 whose body says the token was invalidated takes the 401 path: one refresh, retry on the same account', async () => {
    const { t, issuer } = fx
    await add('a', 1, 3600)
    await add('b', 2, 3600)
    // A refresh in the last 15 s already answers a 401; make the last one older.
    await t.app.components.store.update((d) => {
      for (const acc of Object.values(d.accounts)) acc.lastRefresh = new Date(Date.now() - 60_000).toISOString()
    })
    const body = JSON.stringify({
      error: { message: 'Your authentication token has been invalidated.', code: 'token_invalidated' },
    })
    const answer = await t.client.call('token.report', { alias: 'a', status: 403, body })
    expect(answer).toEqual({ retry: true, health: 'ok' })
    expect(issuer.refreshCalls).toBe(1)
    // A plain 403 does not touch the refresh token.
    const plain = await t.client.call('token.report', {
      alias: 'b',
      status: 403,
      body: JSON.stringify({ error: { message: 'Forbidden' } }),
    })
    expect(plain.health).toBe('cooldown')
    expect(issuer.refreshCalls).toBe(1)
  })
})
