import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { RpcError } from '../../client/rpc/errors.js'
import { addAccount } from '../helpers/accounts.js'
import { useIssuerApp } from '../helpers/issuer-app.js'

describe('token.get falls through to the next account', () => {
  const fx = useIssuerApp()

  it('the first account’s refresh fails → the same call returns the second account', async () => {
    const { t, issuer } = fx
    const a = await addAccount(t.client, issuer, 1, 1)
    const b = await addAccount(t.client, issuer, 2, 1)
    issuer.failNext(1, 'invalid_grant')
    const got = await t.client.call('token.get', {})
    expect(issuer.refreshCalls).toBe(2)
    const failed = got.alias === a.alias ? b.alias : a.alias
    expect([a.alias, b.alias]).toContain(got.alias)
    expect((await t.client.call('accounts.get', { alias: failed })).health).toBe('auth_invalid')
    expect((await t.client.call('accounts.get', { alias: got.alias })).health).toBe('ok')
  })

  it('no eligible account → NO_ELIGIBLE_ACCOUNTS with each alias, its reason and the earliest free time', async () => {
    const { t, issuer } = fx
    const a = await addAccount(t.client, issuer, 1, 1)
    const b = await addAccount(t.client, issuer, 2, 1)
    issuer.failNext(1, 'invalid_grant')
    issuer.failNext(3, '503')
    const err = (await t.client.call('token.get', {}).catch((e: unknown) => e)) as RpcError
    expect(err).toBeInstanceOf(RpcError)
    expect(err.code).toBe(ErrorCode.NO_ELIGIBLE_ACCOUNTS)
    const data = err.data as { accounts: { alias: string; health: string; reason?: string }[]; earliestUntil?: number }
    expect(data.accounts.map((x) => x.alias).sort()).toEqual([a.alias, b.alias].sort())
    for (const x of data.accounts) expect(x.reason).toBeTruthy()
    expect(data.earliestUntil).toBeGreaterThan(Date.now())
  })

  it('an empty store says how to add an account', async () => {
    const { t } = fx
    const err = (await t.client.call('token.get', {}).catch((e: unknown) => e)) as RpcError
    expect(err.code).toBe(ErrorCode.NO_ELIGIBLE_ACCOUNTS)
    expect(err.message).toMatch(/opencode-multi-auth add/)
  })
})
