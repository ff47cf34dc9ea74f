/** Device-code sign-in end to end against the fake issuer. */
import { describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import type { Identity } from '../fakes/jwt.js'
import { closedAfterEach, type IssuerApp } from '../helpers/issuer-app.js'
import { until } from '../codex/helpers.js'

const daemons = closedAfterEach()

const dave: Identity = { email: 'dave@example.com', accountId: 'acc-dave', userId: 'user-dave', planType: 'team' }

function setup(): Promise<IssuerApp> {
  // The real issuer says "5"; a quarter second keeps the test short and still polls.
  return daemons.withIssuer({ issuer: { deviceIntervalS: 0.25 } })
}

describe('device sign-in', () => {
  it('shows a user code and the device URL, polls until approved, and stores the account', async () => {
    const { app, issuer } = await setup()
    const start = await app.client.call('login.start', { method: 'device', alias: 'headless' })
    expect(start.method).toBe('device')
    expect(start.url).toBe(`${issuer.url}/codex/device`)
    expect(start.userCode).toMatch(/^[A-F0-9]{4}-[A-F0-9]{4}$/)
    expect(start.expiresAt).toBeGreaterThan(Date.now() + 14 * 60_000)
    expect(issuer.pendingDeviceCodes).toEqual([start.userCode])

    const waited = app.client.call('login.wait', { loginId: start.loginId })
    // Let it poll at least once while still pending (the fake answers 403 then).
    await until(
      () => issuer.calls.some((c) => c.path === '/api/accounts/deviceauth/token' && c.status === 403),
      'a pending poll',
    )
    issuer.approveDevice(start.userCode!, dave)
    const view = await waited
    expect(view).toMatchObject({
      alias: 'headless',
      email: 'dave@example.com',
      accountId: 'acc-dave',
      planType: 'team',
      hasIdToken: true,
    })
    const polls = issuer.calls.filter((c) => c.path === '/api/accounts/deviceauth/token')
    expect(polls.length).toBeGreaterThanOrEqual(2)
    expect(polls.filter((c) => c.status === 403).length).toBeGreaterThanOrEqual(1)
    // Exchanged with the device callback as redirect_uri and the issuer's verifier (the fake checks both).
    expect(issuer.calls.find((c) => c.grant_type === 'authorization_code')?.reason).toBe('ok')
  })

  it('a second sign-in cancels the pending device one', async () => {
    const { app } = await setup()
    const device = await app.client.call('login.start', { method: 'device' })
    const waited = app.client.call('login.wait', { loginId: device.loginId }).catch((e: unknown) => e)
    await app.client.call('login.start', { method: 'device' })
    expect(await waited).toMatchObject({ code: ErrorCode.LOGIN_FAILED })
  })

  it('fails clearly when the issuer refuses to hand out a device code', async () => {
    const { app, issuer } = await setup()
    issuer.failNext(1, '500', { path: '/api/accounts/deviceauth/usercode' })
    const err = await app.client.call('login.start', { method: 'device' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: ErrorCode.LOGIN_FAILED })
    expect((err as Error).message).toMatch(/device code/)
  })
})
