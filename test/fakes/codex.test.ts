import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeBackend, type FakeBackend } from './backend.js'
import { codexAuthFile, runFakeCodex, writeCodexAuth } from './codex-cli.js'
import { startFakeIssuer, type FakeIssuer } from './issuer.js'

const alice = { email: 'alice@example.com', accountId: 'acct-A', userId: 'user-a' }

let home: string
let issuer: FakeIssuer
let backend: FakeBackend
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'fake-codex-'))
  issuer = await startFakeIssuer()
  backend = await startFakeBackend({ text: 'OK' })
})
afterEach(async () => {
  await Promise.all([issuer.close(), backend.close()])
  rmSync(home, { recursive: true, force: true })
})

/** Every line of every session log under CODEX_HOME. */
function sessionLines(): Array<Record<string, unknown>> {
  const files = readdirSync(join(home, 'sessions'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    /rollout-.*\.jsonl$/.test(f),
  )
  return files.flatMap((f) =>
    readFileSync(join(home, 'sessions', f), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  )
}

describe('fake codex: login status', () => {
  it('accepts a well-formed ChatGPT auth.json', async () => {
    writeCodexAuth(home, codexAuthFile(issuer.addAccount(alice)))
    const run = await runFakeCodex(['login', 'status'], home)
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('Logged in using ChatGPT')
  })

  it.each([
    ['no file', undefined],
    ['no last_refresh', (a: Record<string, unknown>) => delete a.last_refresh],
    [
      'an id_token that is not a JWT',
      (a: Record<string, unknown>) => ((a.tokens as Record<string, unknown>).id_token = 'abc'),
    ],
    ['an API-key auth_mode', (a: Record<string, unknown>) => (a.auth_mode = 'apikey')],
  ])('rejects %s', async (_what, mutate) => {
    if (mutate) {
      const auth: Record<string, unknown> = JSON.parse(
        JSON.stringify(codexAuthFile(issuer.addAccount(alice))),
      ) as Record<string, unknown>
      mutate(auth)
      writeCodexAuth(home, auth)
    }
    const run = await runFakeCodex(['login', 'status'], home)
    expect(run.code).toBe(1)
    expect(run.stderr).not.toContain('Logged in')
  })
})

describe('fake codex: exec', () => {
  const env = () => ({ FAKE_CODEX_BACKEND_URL: backend.url })
  const args = ['exec', '--skip-git-repo-check', '--sandbox', 'read-only', '-m', 'gpt-5.5', 'Reply ONLY with OK.']

  it('makes one backend call as the auth.json account and logs token_count from the headers', async () => {
    const tokens = issuer.addAccount(alice)
    writeCodexAuth(home, codexAuthFile(tokens))
    backend.setUsage('acct-A', { primaryUsedPercent: 37, secondaryUsedPercent: 5, primaryResetAt: 2_000_000_000 })
    const run = await runFakeCodex(args, home, env())
    expect(run).toMatchObject({ code: 0, stdout: 'OK\n' })

    expect(backend.requests).toHaveLength(1)
    expect(backend.requests[0]).toMatchObject({
      accountId: 'acct-A',
      headers: { authorization: `Bearer ${tokens.accessToken}`, 'chatgpt-account-id': 'acct-A' },
      body: { model: 'gpt-5.5', stream: true, store: false },
    })
    const lines = sessionLines()
    expect(lines[0].type).toBe('session_meta')
    const tokenCount = lines.find((l) => (l.payload as { type?: string }).type === 'token_count')
    expect(tokenCount).toMatchObject({
      type: 'event_msg',
      payload: {
        rate_limits: {
          primary: { used_percent: 37, window_minutes: 300, resets_at: 2_000_000_000 },
          secondary: { used_percent: 5, window_minutes: 10_080 },
        },
      },
    })
    expect(typeof tokenCount?.timestamp).toBe('string')
  })

  it('exits 1 on a 429 and still logs the 100% window', async () => {
    writeCodexAuth(home, codexAuthFile(issuer.addAccount(alice)))
    backend.setBehavior('acct-A', { status: 429, resetsAt: 2_000_000_000 })
    const run = await runFakeCodex(args, home, env())
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('usage_limit_reached')
    const tokenCount = sessionLines().find((l) => (l.payload as { type?: string }).type === 'token_count')
    expect(tokenCount).toMatchObject({
      payload: { rate_limits: { primary: { used_percent: 100, resets_at: 2_000_000_000 } } },
    })
  })

  it('refreshes an expiring token at CODEX_REFRESH_TOKEN_URL_OVERRIDE and writes the new pair back', async () => {
    const old = issuer.addAccount(alice, { expiresInS: 60 })
    writeCodexAuth(home, codexAuthFile(old))
    const run = await runFakeCodex(args, home, { ...env(), CODEX_REFRESH_TOKEN_URL_OVERRIDE: issuer.tokenUrl })
    expect(run.code).toBe(0)
    expect(issuer.calls[0]).toMatchObject({
      grant_type: 'refresh_token',
      refresh_reason: 'proactive_expiry',
      status: 200,
    })
    const text = readFileSync(join(home, 'auth.json'), 'utf8')
    expect(text.endsWith('\n')).toBe(false)
    const written = JSON.parse(text) as { tokens: { refresh_token: string; access_token: string } }
    expect(written.tokens.refresh_token).toBe(issuer.latestRefreshToken(alice.email))
    expect(issuer.isSpent(old.refreshToken)).toBe(true)
    expect(backend.requests[0].headers.authorization).toBe(`Bearer ${written.tokens.access_token}`)
  })

  it('refuses to run without a valid auth.json', async () => {
    const run = await runFakeCodex(args, home, env())
    expect(run.code).toBe(1)
    expect(backend.requests).toHaveLength(0)
  })
})
