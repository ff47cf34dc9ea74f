/**
 * docs/architecture.md#invariants, 6: team seats share chatgpt_account_id; (account id, user id) is the
 * identity. Whichever way the tokens arrive — Codex auth.json, sign-in — two
 * seats stay two accounts, and a seat's new tokens land on that seat only.
 */
import { describe, expect, it } from 'vitest'
import type { Identity } from '../fakes/jwt.js'
import { closedAfterEach } from '../helpers/issuer-app.js'
import { authJsonFor, pairFor, until, writeInPlace } from '../codex/helpers.js'
import { toLoopback, twoFreePorts } from './helpers.js'

const daemons = closedAfterEach()

// Same workspace, same email local part even: only the user id tells them apart.
const seat1: Identity = { email: 'dev@team.example', accountId: 'acc-team', userId: 'user-1', planType: 'team' }
const seat2: Identity = { email: 'dev@team.example', accountId: 'acc-team', userId: 'user-2', planType: 'team' }

describe('team seats', () => {
  it('two seats adopted from Codex auth.json stay two accounts', async () => {
    const app = await daemons.app()
    const now = Math.floor(Date.now() / 1000)
    const accounts = () => Object.values(app.app.components.store.data.accounts)
    const p1 = pairFor(seat1, now - 10)
    writeInPlace(app.dirs.codexAuthFile, authJsonFor(p1))
    await until(() => accounts().length === 1, 'seat 1')
    const p2 = pairFor(seat2, now)
    writeInPlace(app.dirs.codexAuthFile, authJsonFor(p2))
    await until(() => accounts().length === 2, 'seat 2 as a second account')
    const byUser = new Map(accounts().map((a) => [a.userId, a]))
    expect(byUser.get('user-1')?.refreshToken).toBe(p1.refreshToken)
    expect(byUser.get('user-2')?.refreshToken).toBe(p2.refreshToken)
    expect(new Set(accounts().map((a) => a.alias))).toEqual(new Set(['dev', 'dev-1']))
  })

  it('signing in as the second seat adds an account instead of replacing the first', async () => {
    const { app: t, issuer } = await daemons.withIssuer({
      env: { OPENCODE_MULTI_AUTH_LOGIN_PORTS: await twoFreePorts() },
    })
    const first = issuer.addAccount(seat1)
    await t.client.call('accounts.add', {
      accessToken: first.accessToken,
      refreshToken: first.refreshToken,
      idToken: first.idToken,
    })
    issuer.setNextLogin(seat2)
    const start = await t.client.call('login.start', { method: 'browser' })
    const redirect = (await fetch(start.url, { redirect: 'manual' })).headers.get('location') ?? ''
    expect((await fetch(toLoopback(redirect))).status).toBe(200)
    const view = await t.client.call('login.wait', { loginId: start.loginId })
    expect(view).toMatchObject({ alias: 'dev-1', userId: 'user-2', accountId: 'acc-team' })
    const { accounts } = await t.client.call('accounts.list', {})
    expect(accounts.map((a) => [a.alias, a.userId])).toEqual([
      ['dev', 'user-1'],
      ['dev-1', 'user-2'],
    ])
    expect(t.app.components.store.data.accounts.dev.refreshToken).toBe(first.refreshToken)
  })
})
