/**
 * The real Codex CLI (npm @openai/codex 0.171.0, installed test-only in this folder)
 * beside our daemon, following RECIPES.md §1-3: every auth.json the daemon writes is
 * accepted by `codex login status`, and a `codex app-server` sharing the daemon's
 * account never makes the fake issuer see a spent refresh token — Codex adopts the
 * daemon's write-back without calling the issuer, and the daemon adopts a refresh
 * Codex makes on its own within a second.
 *
 * Offline: Codex's token URL is the fake issuer (CODEX_REFRESH_TOKEN_URL_OVERRIDE), its
 * backend base URLs are loopback, and anything else goes to a proxy that refuses and
 * records it (each test asserts it saw nothing).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FakeIssuer } from '../fakes/issuer.js'
import type { TestApp } from '../helpers/app.js'
import { startIssuerApp, type IssuerApp } from '../helpers/issuer-app.js'
import { alice, authJsonFor, bob, pairFor, readJson, until, writeInPlace } from '../codex/helpers.js'
import { installed, offlineProvider, proxyEnv, startGuard, type Guard } from './support.js'

const CODEX = installed('.bin', 'codex')
const present = existsSync(CODEX)
if (!present) {
  console.warn(`real Codex CLI tests skipped: ${CODEX} is missing (install with \`node test/real-clients/ensure.mjs\`)`)
}

/** RECIPES.md §1: every request Codex still makes goes to loopback (404s there are fine). */
function codexConfig(base: string): string {
  return [
    `chatgpt_base_url = "${base}/backend-api"`,
    'model_provider = "fake"',
    'model = "gpt-5.5"',
    '',
    ...offlineProvider('fake', `${base}/backend-api/codex`),
    '',
  ].join('\n')
}

interface AppServer {
  call(method: string, params: unknown): Promise<Record<string, unknown>>
  close(): Promise<void>
  stderr(): string
}

/** `codex app-server`: one JSON object per line on stdio, no `jsonrpc` field (RECIPES.md §3). */
function appServer(env: Record<string, string>): AppServer {
  const cp: ChildProcessWithoutNullStreams = spawn(CODEX, ['app-server'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const waiters = new Map<number, (m: Record<string, unknown>) => void>()
  let buf = ''
  let err = ''
  let next = 1
  cp.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (!line.trim()) continue
      const m = JSON.parse(line) as Record<string, unknown>
      if (typeof m.id === 'number') waiters.get(m.id)?.(m)
    }
  })
  cp.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise<void>((r) => cp.once('exit', () => r()))
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        const id = next++
        const timer = setTimeout(() => reject(new Error(`codex app-server: no answer to ${method}\n${err}`)), 20_000)
        waiters.set(id, (m) => {
          clearTimeout(timer)
          waiters.delete(id)
          if (m.error) reject(new Error(`codex app-server ${method}: ${JSON.stringify(m.error)}`))
          else resolve(m.result as Record<string, unknown>)
        })
        cp.stdin.write(`${JSON.stringify({ id, method, params })}\n`)
      }),
    close: async () => {
      cp.stdin.end()
      cp.kill()
      await exited
    },
    stderr: () => err,
  }
}

function runCodex(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cp = spawn(CODEX, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    cp.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    cp.once('error', reject)
    cp.once('close', (code) => resolve({ code, stderr }))
  })
}

describe.skipIf(!present)('the real Codex CLI beside the daemon', () => {
  let pair: IssuerApp | undefined
  let guard: Guard | undefined
  let server: AppServer | undefined
  afterEach(async () => {
    await server?.close()
    if (pair) expect(pair.issuer.reuseDetected, 'a spent refresh token reached the issuer').toBe(0)
    if (guard) expect(guard.attempts, 'Codex tried to reach the internet').toEqual([])
    await pair?.close()
    await guard?.close()
    pair = guard = server = undefined
  })

  async function setup(): Promise<{ app: TestApp; issuer: FakeIssuer; file: string; env: Record<string, string> }> {
    guard = await startGuard()
    pair = await startIssuerApp()
    const { app: t, issuer } = pair
    const codexHome = t.dirs.env.CODEX_HOME
    mkdirSync(codexHome, { recursive: true })
    writeFileSync(join(codexHome, 'config.toml'), codexConfig(issuer.url))
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: t.dirs.home,
      CODEX_HOME: codexHome,
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: issuer.tokenUrl,
      RUST_LOG: 'warn',
      ...proxyEnv(guard.url),
    }
    return { app: t, issuer, file: t.dirs.codexAuthFile, env }
  }

  /** Refresh calls Codex made (it sends refresh_reason; the daemon does not). */
  const codexRefreshes = (iss: FakeIssuer) =>
    iss.calls.filter((c) => c.path === '/oauth/token' && c.refresh_reason !== undefined)

  it('`codex login status` accepts every auth.json the daemon writes', async () => {
    const { app, issuer, file, env } = await setup()
    const expectAccepted = async (what: string): Promise<void> => {
      const r = await runCodex(['login', 'status'], env)
      expect(r.code, `${what}: ${r.stderr}`).toBe(0)
      expect(r.stderr, what).toContain('Logged in using ChatGPT')
    }
    const a = issuer.addAccount(alice)
    writeInPlace(file, authJsonFor(a))
    await until(() => app.app.components.store.data.accounts.alice, 'adoption')

    await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    expect(readJson(file).tokens.refresh_token).toBe(app.app.components.store.data.accounts.alice.refreshToken)
    await expectAccepted('write-back after a refresh')

    const b = issuer.addAccount(bob)
    await app.client.call('accounts.add', {
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      idToken: b.idToken,
    })
    await app.client.call('codex.use', { alias: 'bob' })
    expect(readJson(file).tokens.refresh_token).toBe(b.refreshToken)
    await expectAccepted('codex.use')

    // An older pair of bob's in the file: the daemon keeps its newer one and writes it back.
    const older = pairFor(bob, Math.floor(Date.now() / 1000) - 3600)
    writeInPlace(file, authJsonFor(older))
    // The watcher may get there first and have written the newer pair back already.
    expect(['older', 'unchanged']).toContain((await app.client.call('codex.sync', {})).action)
    await until(() => readJson(file).tokens.refresh_token === b.refreshToken, 'the newer pair written back')
    await expectAccepted('rewrite over an older file')
  }, 60_000)

  it("shares an account with a running app-server: Codex adopts the daemon's write-back, the daemon adopts Codex's refresh", async () => {
    const { app, issuer, file, env } = await setup()
    // 10 min left: past Codex's 300 s window (it does not refresh at start), well inside the daemon's.
    const a = issuer.addAccount(alice, { expiresInS: 600 })
    writeInPlace(file, authJsonFor(a))
    await until(() => app.app.components.store.data.accounts.alice, 'adoption')
    server = appServer(env)
    await server.call('initialize', { clientInfo: { name: 't', title: null, version: '1' }, capabilities: null })
    expect(codexRefreshes(issuer)).toHaveLength(0)

    // The daemon refreshes (keep-alive would, days ahead) and writes the pair back.
    await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    const daemonPair = { ...app.app.components.store.data.accounts.alice }
    expect(readJson(file).tokens.access_token).toBe(daemonPair.accessToken)
    // Codex, asked to refresh, re-reads the file, sees the same account changed, and adopts it instead.
    const status = await server.call('getAuthStatus', { includeToken: true, refreshToken: true })
    expect(status.authToken).toBe(daemonPair.accessToken)
    expect(codexRefreshes(issuer)).toHaveLength(0)

    // Now Codex refreshes on its own (forced): the daemon has the new pair within a second.
    const forced = await server.call('getAuthStatus', { includeToken: true, refreshToken: true })
    const answeredAt = Date.now()
    expect(codexRefreshes(issuer)).toHaveLength(1)
    expect(codexRefreshes(issuer)[0].refresh_token).toBe(daemonPair.refreshToken)
    expect(forced.authToken).not.toBe(daemonPair.accessToken)
    await until(
      () => app.app.components.store.data.accounts.alice.accessToken === forced.authToken,
      "the daemon adopting Codex's refresh",
      1000,
      5,
    )
    expect(Date.now() - answeredAt).toBeLessThan(1000)

    // The daemon's next refresh spends Codex's token, not the one Codex already spent.
    const r = await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    expect(r.results[0]).toMatchObject({ ok: true })
    expect(issuer.revoked(alice.email)).toBe(false)
  }, 60_000)

  it("with tokens near expiry, Codex's start-up refresh is adopted within a second and the daemon continues from it", async () => {
    const { app, issuer, file, env } = await setup()
    // 2 min left: inside Codex's 300 s window, so the app-server refreshes as it starts.
    const a = issuer.addAccount(alice, { expiresInS: 120 })
    writeInPlace(file, authJsonFor(a))
    await until(() => app.app.components.store.data.accounts.alice, 'adoption')
    server = appServer(env)
    await until(() => codexRefreshes(issuer).length === 1, "Codex's start-up refresh", 15_000, 5)
    const refreshedAt = Date.now()
    await until(
      () =>
        app.app.components.store.data.accounts.alice.refreshToken === readJson(file).tokens.refresh_token &&
        app.app.components.store.data.accounts.alice.refreshToken !== a.refreshToken,
      'the daemon adopting it',
      1500,
      5,
    )
    expect(Date.now() - refreshedAt).toBeLessThan(1000)
    await server.call('initialize', { clientInfo: { name: 't', title: null, version: '1' }, capabilities: null })
    const r = await app.client.call('accounts.refresh', { alias: 'alice' })
    await app.app.components.codex.settled() // the write-back follows the refresh
    expect(r.results[0]).toMatchObject({ ok: true })
    // And Codex, asked again, takes the daemon's write-back rather than refreshing.
    const status = await server.call('getAuthStatus', { includeToken: true, refreshToken: true })
    expect(status.authToken).toBe(app.app.components.store.data.accounts.alice.accessToken)
    expect(codexRefreshes(issuer)).toHaveLength(1)
  }, 60_000)
})
