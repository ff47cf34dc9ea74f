import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { RpcError } from '../../client/rpc/errors.js'
import type { FailureKind } from '../fakes/issuer.js'
import { addAccount } from '../helpers/accounts.js'
import { useIssuerApp } from '../helpers/issuer-app.js'

describe('refresh failures are classified (docs/architecture.md#invariants, 3)', () => {
  // One pair for the whole block; each test clears the store first.
  const fx = useIssuerApp({ once: true })
  let n = 0

  /** One expired account alone in the store, so token.get must refresh it. */
  async function lonelyExpiredAccount(): Promise<string> {
    const { t, issuer } = fx
    const { accounts } = await t.client.call('accounts.list', {})
    for (const a of accounts) await t.client.call('accounts.remove', { alias: a.alias })
    return (await addAccount(t.client, issuer, ++n, 1)).alias
  }

  async function getFails(): Promise<RpcError> {
    const err = await fx.t.client.call('token.get', {}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(RpcError)
    return err as RpcError
  }

  const permanent: FailureKind[] = ['invalid_grant', 'refresh_token_expired', '401', '403']
  for (const kind of permanent) {
    it(`${kind} → auth_invalid after exactly one call, no retry`, async () => {
      const { t, issuer } = fx
      const alias = await lonelyExpiredAccount()
      const before = issuer.refreshCalls
      issuer.failNext(1, kind)
      const err = await getFails()
      expect(err.code).toBe(ErrorCode.NO_ELIGIBLE_ACCOUNTS)
      expect(issuer.refreshCalls - before).toBe(1)
      const view = await t.client.call('accounts.get', { alias })
      expect(view.health).toBe('auth_invalid')
      expect(view.reason).toMatch(/sign in again/)
      // No retry later either: the next get does not touch the issuer.
      await getFails()
      expect(issuer.refreshCalls - before).toBe(1)
    })
  }

  it('a spent refresh token (refresh_token_reused) → auth_invalid after one call', async () => {
    const { t, issuer } = fx
    const alias = await lonelyExpiredAccount()
    const view = await t.client.call('accounts.get', { alias })
    // Someone else (a stale copy) spends the token the daemon holds.
    const spent = issuer.latestRefreshToken(view.email!)
    const r = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: spent, client_id: issuer.clientId }),
    })
    expect(r.status).toBe(200)
    const before = issuer.refreshCalls
    await getFails()
    expect(issuer.refreshCalls - before).toBe(1)
    expect((await t.client.call('accounts.get', { alias })).health).toBe('auth_invalid')
  })

  const transient: FailureKind[] = ['500', '502', '503', '429', 'drop']
  for (const kind of transient) {
    it(`${kind} → three calls, then a cooldown that names the refresh failure`, async () => {
      const { t, issuer } = fx
      const alias = await lonelyExpiredAccount()
      const before = issuer.refreshCalls
      issuer.failNext(3, kind)
      const err = await getFails()
      expect(err.code).toBe(ErrorCode.NO_ELIGIBLE_ACCOUNTS)
      expect(issuer.refreshCalls - before).toBe(3)
      const view = await t.client.call('accounts.get', { alias })
      expect(view.health).toBe('cooldown')
      expect(view.reason).toMatch(/token refresh failed/)
      expect(view.reason).not.toMatch(/rate.?limit/i)
      expect(view.until).toBeGreaterThan(Date.now())
    })
  }

  it('one transient failure then success: two calls, account healthy', async () => {
    const { t, issuer } = fx
    const alias = await lonelyExpiredAccount()
    const before = issuer.refreshCalls
    const reusedBefore = issuer.reuseDetected
    issuer.failNext(1, '503')
    const got = await t.client.call('token.get', {})
    expect(got.alias).toBe(alias)
    expect(issuer.refreshCalls - before).toBe(2)
    expect((await t.client.call('accounts.get', { alias })).health).toBe('ok')
    expect(issuer.reuseDetected).toBe(reusedBefore)
  })
})
