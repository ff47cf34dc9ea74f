/**
 * Redaction that cannot miss (docs/architecture.md, invariant 11): every
 * secret-bearing shape goes through the real logger into a real file and
 * `logs.tail`, and neither holds any of the secrets afterwards.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redactString, redactValue, TRUNCATED } from '../../daemon/log/redact.js'
import { mintTokens } from '../fakes/jwt.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'

const jwt = mintTokens({ email: 'r@example.com', accountId: 'acct-r', userId: 'user-r' })
/** Opaque refresh tokens without any known prefix. */
const OPAQUE_1 = 'Zq8vN3kLm2PxW7tR4yB9cD1fG6hJ0sKaUe5oIiQw'
const OPAQUE_2 = 'v1.MJ3kd82kdLskd93kdLsk29dkQpZ7x'
const OPAQUE_HEX = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
const AUTH_CODE = 'ac_Q2x7Lk9PmN3vB8rT1yW4zC6dHs'
const PASSPHRASE = 'correct horse battery staple'
const DEEP = 'deep-secret-Xr4Tq9Lm2Nv8Bc6Z'
const secrets = {
  refreshToken: 'rt_top_level_refresh_0123456789abcdef',
  accessToken: jwt.accessToken,
  passphrase: PASSPHRASE,
  code: AUTH_CODE,
}
const ALL = [
  ...Object.values(secrets),
  jwt.idToken,
  ...jwt.accessToken.split('.').slice(0, 2),
  OPAQUE_1,
  OPAQUE_2,
  OPAQUE_HEX,
  DEEP,
  'verifier-Kx9Lm2Pq8Rs4Tu6Vw0Yz3Ab7Cd',
  'client-secret-value-words',
  'cookie-session-value-12',
  'newRefreshTokenValue-abc',
]

/** Everything a careless component might hand the logger. */
function logEverything(t: TestApp): void {
  const log = t.app.components.logger
  log.info('x', secrets)
  log.warn('snake case', {
    refresh_token: OPAQUE_1,
    access_token: jwt.accessToken,
    id_token: jwt.idToken,
    code_verifier: 'verifier-Kx9Lm2Pq8Rs4Tu6Vw0Yz3Ab7Cd',
    client_secret: 'client-secret-value-words',
  })
  log.info('nested', { account: { tokens: { refresh: OPAQUE_2 }, config: { passphrase: PASSPHRASE } } })
  log.info('deep', { a: { b: { c: { d: { e: { f: { g: { h: { note: DEEP } } } } } } } } })
  log.error('free text', { error: `refresh failed for token ${OPAQUE_1} and ${OPAQUE_HEX}` })
  log.error(`message with ${jwt.accessToken} and ${OPAQUE_2} and Bearer ${OPAQUE_1}`)
  log.error('an error object', { error: new Error(`boom ${secrets.refreshToken}`) })
  log.info('arrays', { tokens: [OPAQUE_1, OPAQUE_2], list: [{ accessToken: jwt.accessToken }] })
  log.info('headers', { headers: { authorization: `Bearer ${OPAQUE_HEX}`, Cookie: 'cookie-session-value-12' } })
  log.info('url and body', {
    url: `http://localhost:1455/auth/callback?code=${AUTH_CODE}&state=abc`,
    body: JSON.stringify({ refresh_token: OPAQUE_1, grant_type: 'refresh_token' }),
    form: `grant_type=refresh_token&refresh_token=${OPAQUE_2}&client_id=app`,
  })
  log.info('camel variants', { newRefreshToken: 'newRefreshTokenValue-abc', gatewaySecret: OPAQUE_HEX })
  const loop: Record<string, unknown> = { refreshToken: OPAQUE_1 }
  loop.self = loop
  log.info('circular', { loop })
}

let t: TestApp
let file = ''
let tail = ''
let dirs: TestDirs

beforeAll(async () => {
  dirs = makeDirs()
  t = await startTestApp({ noKeepAlive: true, dirs })
  logEverything(t)
  t.app.components.logger.info('readable', {
    alias: 'work-account-2',
    path: '/tmp/oma-store-Xk3jQa/opencode-multi-auth/accounts.json',
    at: '2026-12-02T00:53:09.123Z',
    loginId: '550e8400-e29b-41d4-a716-446655440000',
    code: 'invalid_grant',
    reason: 'refresh_token_invalidated: the token was revoked',
  })
  tail = JSON.stringify(await t.client.call('logs.tail', { lines: 1000 }))
  await t.close()
  file = readFileSync(dirs.logFile, 'utf8')
})

afterAll(() => {
  cleanup(dirs)
})

describe('the logger never writes a secret', () => {
  it('the log file holds none of them', () => {
    expect(file).toContain('nested')
    for (const s of ALL) expect(file, `leaked to the file: ${s.slice(0, 12)}…`).not.toContain(s)
  })

  it('logs.tail holds none of them', () => {
    expect(tail).toContain('circular')
    for (const s of ALL) expect(tail, `leaked to logs.tail: ${s.slice(0, 12)}…`).not.toContain(s)
  })

  it('values past the depth limit are replaced, not written whole', () => {
    expect(file).toContain(TRUNCATED)
  })

  it('keeps aliases, paths, dates, UUIDs and error codes readable', () => {
    for (const keep of [
      'work-account-2',
      '/tmp/oma-store-Xk3jQa/opencode-multi-auth/accounts.json',
      '2026-12-02T00:53:09.123Z',
      '550e8400-e29b-41d4-a716-446655440000',
      '"code":"invalid_grant"',
      'refresh_token_invalidated: the token was revoked',
    ]) {
      expect(file).toContain(keep)
    }
  })
})

describe('redactString / redactValue', () => {
  it('masks opaque runs only when they look random', () => {
    expect(redactString(`a ${OPAQUE_1} b`)).toBe('a [redacted] b')
    expect(redactString('interrupted-refresh-check work-account-number-2 ENOSPC')).toBe(
      'interrupted-refresh-check work-account-number-2 ENOSPC',
    )
  })

  it('judges top-level keys and every level below', () => {
    expect(redactValue({ passphrase: 'short', n: { refreshToken: 'x' }, usage: { inputTokens: 5 } })).toEqual({
      passphrase: '[redacted]',
      n: { refreshToken: '[redacted]' },
      usage: { inputTokens: 5 },
    })
  })
})
