/**
 * Browser sign-in end to end against the fake issuer: the test plays the
 * browser, following the authorize URL to the fake (which redirects to the
 * daemon's callback server), exactly as a user's browser would.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import type { LoginStart } from '../../protocol/methods.js'
import { s256, type FakeIssuer } from '../fakes/issuer.js'
import type { Identity } from '../fakes/jwt.js'
import type { TestApp } from '../helpers/app.js'
import { closedAfterEach } from '../helpers/issuer-app.js'
import { createServer } from 'node:net'
import { freePort, occupy, toLoopback, twoFreePorts } from './helpers.js'

const daemons = closedAfterEach()
// Registered after `daemons`, so these run before the daemon closes.
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const carol: Identity = { email: 'carol@example.com', accountId: 'acc-carol', userId: 'user-carol', planType: 'pro' }

async function setup(ports?: string): Promise<{ app: TestApp; issuer: FakeIssuer; ports: number[] }> {
  const list = ports ?? (await twoFreePorts())
  const { app, issuer } = await daemons.withIssuer({ env: { OPENCODE_MULTI_AUTH_LOGIN_PORTS: list } })
  return { app, issuer, ports: list.split(',').map(Number) }
}

/** The browser: GET the authorize URL, take the redirect, GET the callback. */
async function followLogin(start: LoginStart): Promise<{ status: number; html: string; callback: string }> {
  const auth = await fetch(start.url, { redirect: 'manual' })
  expect(auth.status).toBe(302)
  const callback = auth.headers.get('location') ?? ''
  const res = await fetch(toLoopback(callback))
  return { status: res.status, html: await res.text(), callback }
}

describe('browser sign-in', () => {
  it('signs in end to end and stores the account under the requested alias', async () => {
    const { app, issuer, ports } = await setup()
    issuer.setNextLogin(carol)
    const start = await app.client.call('login.start', { method: 'browser', alias: 'work' })
    expect(start.method).toBe('browser')
    expect(start.expiresAt).toBeGreaterThan(Date.now() + 4 * 60_000)

    // The authorize URL, parameter for parameter as the Codex CLI sends them (docs/architecture.md#oauth).
    const u = new URL(start.url)
    expect(`${u.origin}${u.pathname}`).toBe(`${issuer.url}/oauth/authorize`)
    expect([...u.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'code_challenge',
      'code_challenge_method',
      'state',
      'id_token_add_organizations',
      'codex_cli_simplified_flow',
      'originator',
    ])
    expect(u.searchParams.get('response_type')).toBe('code')
    expect(u.searchParams.get('client_id')).toBe('app_EMoamEEZ73f0CkXaXp7hrann')
    expect(u.searchParams.get('redirect_uri')).toBe(`http://localhost:${ports[0]}/auth/callback`)
    expect(u.searchParams.get('scope')).toBe('openid profile email offline_access')
    expect(u.searchParams.get('code_challenge_method')).toBe('S256')
    expect(u.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(u.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32)
    expect(u.searchParams.get('id_token_add_organizations')).toBe('true')
    expect(u.searchParams.get('codex_cli_simplified_flow')).toBe('true')
    expect(u.searchParams.get('originator')).toBe('codex_cli_rs')
    expect(start.url).toContain('scope=openid%20profile%20email%20offline_access')

    const waiter = await app.connect()
    const waited = waiter.call('login.wait', { loginId: start.loginId }, { timeoutMs: 20_000 })
    const page = await followLogin(start)
    expect(page.status).toBe(200)
    expect(page.html).toContain('carol@example.com')
    const view = await waited
    waiter.close()
    expect(view).toMatchObject({
      alias: 'work',
      email: 'carol@example.com',
      accountId: 'acc-carol',
      userId: 'user-carol',
      planType: 'pro',
      health: 'ok',
      hasIdToken: true,
    })
    const acc = app.app.components.store.data.accounts.work
    expect(acc.source).toBe('login')
    expect(acc.expiresAt).toBeGreaterThan(Date.now())
    // The code was exchanged with the verifier matching the challenge (the fake checks PKCE).
    expect(issuer.calls.find((c) => c.grant_type === 'authorization_code')?.reason).toBe('ok')
    // A finished sign-in stays answerable.
    expect(await app.client.call('login.wait', { loginId: start.loginId })).toMatchObject({ alias: 'work' })
  })

  it('escapes what it echoes into the success page', async () => {
    const { app, issuer } = await setup()
    issuer.setNextLogin({ email: '<img src=x onerror=alert(1)>@example.com', accountId: 'acc-x', userId: 'user-x' })
    const start = await app.client.call('login.start', { method: 'browser', alias: 'x' })
    const page = await followLogin(start)
    expect(page.status).toBe(200)
    expect(page.html).not.toContain('<img')
    expect(page.html).toContain('&#60;img')
  })

  it('refuses a callback with the wrong state, with a clear page, and keeps waiting for the real one', async () => {
    const { app, issuer, ports } = await setup()
    const start = await app.client.call('login.start', { method: 'browser' })
    const forged = await fetch(`http://127.0.0.1:${ports[0]}/auth/callback?code=evil&state=not-the-state`)
    expect(forged.status).toBe(400)
    expect(await forged.text()).toMatch(/state mismatch/i)
    const missing = await fetch(`http://127.0.0.1:${ports[0]}/auth/callback?code=evil`)
    expect(missing.status).toBe(400)
    // Still pending: the forged callback did not end the sign-in.
    await expect(app.client.call('login.wait', { loginId: start.loginId, timeoutMs: 50 })).rejects.toMatchObject({
      code: ErrorCode.LOGIN_FAILED,
      data: { pending: true },
    })
    issuer.setNextLogin(carol)
    const page = await followLogin(start)
    expect(page.status).toBe(200)
    expect(await app.client.call('login.wait', { loginId: start.loginId })).toMatchObject({
      email: 'carol@example.com',
    })
    expect(issuer.calls.filter((c) => c.grant_type === 'authorization_code')).toHaveLength(1)
  })

  it('refuses a callback without a code, with a clear page, and fails the sign-in', async () => {
    const { app, ports } = await setup()
    const start = await app.client.call('login.start', { method: 'browser' })
    const state = new URL(start.url).searchParams.get('state')!
    const res = await fetch(`http://127.0.0.1:${ports[0]}/auth/callback?state=${encodeURIComponent(state)}`)
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/no authorization code/i)
    await expect(app.client.call('login.wait', { loginId: start.loginId })).rejects.toMatchObject({
      code: ErrorCode.LOGIN_FAILED,
    })
  })

  it('reports a denied sign-in as LOGIN_FAILED', async () => {
    const { app, issuer } = await setup()
    issuer.denyNextLogin('access_denied')
    const start = await app.client.call('login.start', { method: 'browser' })
    const page = await followLogin(start)
    expect(page.status).toBe(400)
    const err = await app.client.call('login.wait', { loginId: start.loginId }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: ErrorCode.LOGIN_FAILED })
    expect((err as Error).message).toContain('access_denied')
  })

  it('uses the second port when the first is busy, and the URL shows it', async () => {
    const busy = await occupy()
    cleanups.push(() => busy.close())
    const second = await freePort()
    const { app, issuer } = await setup(`${busy.port},${second}`)
    const start = await app.client.call('login.start', { method: 'browser' })
    expect(new URL(start.url).searchParams.get('redirect_uri')).toBe(`http://localhost:${second}/auth/callback`)
    issuer.setNextLogin(carol)
    const page = await followLogin(start)
    expect(new URL(page.callback).port).toBe(String(second))
    expect(await app.client.call('login.wait', { loginId: start.loginId })).toMatchObject({
      email: 'carol@example.com',
    })
  })

  it('treats a port as busy when another process holds it on ::1 (where localhost may go), and listens on both', async () => {
    const stranger = await occupy(await freePort(), '::1')
    cleanups.push(() => stranger.close())
    const second = await freePort()
    const { app, issuer } = await setup(`${stranger.port},${second}`)
    const start = await app.client.call('login.start', { method: 'browser' })
    expect(new URL(start.url).searchParams.get('redirect_uri')).toBe(`http://localhost:${second}/auth/callback`)
    // The callback listens on ::1 too: nobody else can sit there.
    const probe = createServer()
    const code = await new Promise<string>((resolve) => {
      probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
      probe.listen({ port: second, host: '::1', ipv6Only: true }, () => probe.close(() => resolve('listened')))
    })
    expect(code).toBe('EADDRINUSE')
    issuer.setNextLogin(carol)
    await followLogin(start)
    expect(await app.client.call('login.wait', { loginId: start.loginId })).toMatchObject({
      email: 'carol@example.com',
    })
  })

  it('fails to start, clearly, when every port is busy', async () => {
    const a = await occupy()
    const b = await occupy()
    cleanups.push(
      () => a.close(),
      () => b.close(),
    )
    const { app } = await setup(`${a.port},${b.port}`)
    const err = await app.client.call('login.start', { method: 'browser' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: ErrorCode.LOGIN_FAILED })
    expect((err as Error).message).toMatch(/busy/)
  })

  it('a second sign-in cancels the first cleanly and takes over its port', async () => {
    const { app, issuer, ports } = await setup()
    const first = await app.client.call('login.start', { method: 'browser' })
    const firstWait = app.client.call('login.wait', { loginId: first.loginId }).catch((e: unknown) => e)
    const second = await app.client.call('login.start', { method: 'browser' })
    const err = await firstWait
    expect(err).toMatchObject({ code: ErrorCode.LOGIN_FAILED })
    expect((err as Error).message).toMatch(/superseded/)
    expect(new URL(second.url).searchParams.get('redirect_uri')).toBe(`http://localhost:${ports[0]}/auth/callback`)
    // The first URL's state is dead; the second completes.
    const stale = await fetch(
      `http://127.0.0.1:${ports[0]}/auth/callback?code=x&state=${new URL(first.url).searchParams.get('state')}`,
    )
    expect(stale.status).toBe(400)
    issuer.setNextLogin(carol)
    expect((await followLogin(second)).status).toBe(200)
    expect(await app.client.call('login.wait', { loginId: second.loginId })).toMatchObject({
      email: 'carol@example.com',
    })
  })

  it('the PKCE challenge in the URL is the S256 of the verifier sent at exchange', async () => {
    // The fake refuses the exchange otherwise; this spells the check out.
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
  })
})
