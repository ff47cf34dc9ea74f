/** LoginManager alone, on a manual clock: deadlines and the port list. */
import { afterEach, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import type { AccountService } from '../../daemon/accounts/service.js'
import { LoginManager, loginPortsFromEnv } from '../../daemon/auth/login-manager.js'
import type { OAuthClient } from '../../daemon/auth/oauth-client.js'
import { silentLogger } from '../../daemon/deps.js'
import { FakeClock } from '../helpers/clock.js'
import { freePort } from './helpers.js'

let manager: LoginManager | undefined
afterEach(async () => {
  await manager?.stop()
  manager = undefined
})

const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not expected in this test')) })

/** A manager whose issuer, OAuth client, accounts and fetch must not be used: only deadlines and ports matter here. */
function newManager(clock: FakeClock, ports?: number[]): LoginManager {
  return new LoginManager({
    issuer: 'http://127.0.0.1:9',
    oauth: unused as OAuthClient,
    accounts: unused as AccountService,
    fetch: unused as typeof fetch,
    clock,
    logger: silentLogger,
    ...(ports ? { ports } : {}),
  })
}

describe('LoginManager', () => {
  it('fails a browser sign-in after 5 minutes and frees its port', async () => {
    const clock = new FakeClock()
    const port = await freePort()
    manager = newManager(clock, [port])
    const start = await manager.start({ method: 'browser' })
    expect(start.expiresAt).toBe(clock.now() + 5 * 60_000)
    const waited = manager.wait(start.loginId).catch((e: unknown) => e)
    await clock.advance(5 * 60_000 - 1)
    expect((await fetch(`http://127.0.0.1:${port}/auth/callback?state=x`)).status).toBe(400)
    await clock.advance(1)
    const err = await waited
    expect(err).toMatchObject({ code: ErrorCode.LOGIN_FAILED })
    expect((err as Error).message).toMatch(/timed out/)
    await expect(fetch(`http://127.0.0.1:${port}/auth/callback`)).rejects.toThrow()
  })

  it('two sign-ins started at once: the later one wins, on the same first port', async () => {
    const ports = [await freePort(), await freePort()]
    const clock = new FakeClock()
    manager = newManager(clock, ports)
    const [a, b] = await Promise.all([manager.start({ method: 'browser' }), manager.start({ method: 'browser' })])
    const port = (s: { url: string }) => new URL(new URL(s.url).searchParams.get('redirect_uri')!).port
    expect(port(a)).toBe(String(ports[0]))
    expect(port(b)).toBe(String(ports[0]))
    await expect(manager.wait(a.loginId)).rejects.toMatchObject({ code: ErrorCode.LOGIN_FAILED })
    const pending = manager.wait(b.loginId, 10).catch((e: unknown) => e)
    await clock.advance(10)
    expect(await pending).toMatchObject({ data: { pending: true } })
  })

  it('answers an unknown login id with LOGIN_FAILED', async () => {
    manager = newManager(new FakeClock())
    await expect(manager.wait('nope')).rejects.toMatchObject({ code: ErrorCode.LOGIN_FAILED })
  })

  it('reads callback ports from OPENCODE_MULTI_AUTH_LOGIN_PORTS, defaulting to 1455 then 1457', () => {
    expect(loginPortsFromEnv({})).toEqual([1455, 1457])
    expect(loginPortsFromEnv({ OPENCODE_MULTI_AUTH_LOGIN_PORTS: '2000, 2001' })).toEqual([2000, 2001])
    expect(loginPortsFromEnv({ OPENCODE_MULTI_AUTH_LOGIN_PORTS: 'x' })).toEqual([1455, 1457])
  })
})
