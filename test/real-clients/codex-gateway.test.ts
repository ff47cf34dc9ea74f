/**
 * The real Codex CLI (npm @openai/codex 0.171.0) through the daemon's gateway, after
 * `opencode-multi-auth codex setup`, offline: a `codex exec` turn completes; with the first
 * account answering 429 usage_limit_reached the same turn completes on the second and Codex
 * never sees the 429; Codex presents only the gateway secret; `codex resume`'s listing
 * (app-server thread/list, the same filter) behaves as setup says; `--undo` restores the
 * file byte for byte. Anything not loopback goes to a guard that refuses and records it.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeBackend, type FakeBackend } from '../fakes/backend.js'
import { decodeJwt } from '../fakes/jwt.js'
import { runCli } from '../cli/run.js'
import { startIssuerApp, type IssuerApp } from '../helpers/issuer-app.js'
import { installed, offlineProvider, proxyEnv, startGuard, type Guard } from './support.js'

const CODEX = installed('.bin', 'codex')
const present = existsSync(CODEX)

/** The user's config before setup: their own provider (straight to the fake backend), comments, other tables. */
function userConfig(backend: string): string {
  return [
    '# my Codex settings',
    'model = "gpt-5.5"',
    `chatgpt_base_url = "${backend}"`,
    'model_provider = "mine"',
    '',
    ...offlineProvider('mine', `${backend}/codex`),
  ].join('\n')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0))
    })
  })
}

function run(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cp = spawn(CODEX, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    cp.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    cp.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => cp.kill('SIGKILL'), 60_000)
    cp.once('error', reject)
    cp.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The sessions `codex resume` would offer for exec runs: app-server thread/list applies the same provider filter. */
async function listedSessions(env: Record<string, string>): Promise<string[]> {
  const cp = spawn(CODEX, ['app-server'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let buf = ''
  const answer = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('app-server: no thread/list answer')), 20_000)
    cp.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d
      for (const line of buf.split('\n')) {
        if (!line.includes('"id":2')) continue
        clearTimeout(timer)
        const m = JSON.parse(line) as { result?: { data?: { preview?: string }[] } }
        resolve((m.result?.data ?? []).map((t) => t.preview ?? ''))
      }
    })
  })
  cp.stdin.write(
    `${JSON.stringify({ id: 1, method: 'initialize', params: { clientInfo: { name: 't', title: null, version: '1' }, capabilities: null } })}\n`,
  )
  cp.stdin.write(`${JSON.stringify({ id: 2, method: 'thread/list', params: { sourceKinds: ['exec'] } })}\n`)
  try {
    return await answer
  } finally {
    cp.kill()
  }
}

describe.skipIf(!present)('the real Codex CLI through the gateway (codex setup)', () => {
  let pair: IssuerApp | undefined
  let backend: FakeBackend | undefined
  let guard: Guard | undefined
  let work: string | undefined
  afterEach(async () => {
    if (guard) expect(guard.attempts, 'Codex tried to reach the internet').toEqual([])
    await pair?.close()
    await backend?.close()
    await guard?.close()
    if (work) rmSync(work, { recursive: true, force: true })
    pair = backend = guard = work = undefined
  })

  it('completes a turn on the second account when the first answers 429; setup and --undo behave as promised', async () => {
    guard = await startGuard()
    backend = await startFakeBackend()
    pair = await startIssuerApp({ env: { OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url } })
    const { app, issuer } = pair
    for (const name of ['a', 'b']) {
      const t = issuer.addAccount({ email: `${name}@example.com`, accountId: `acct-${name}`, userId: `user-${name}` })
      await app.client.call('accounts.add', {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        idToken: t.idToken,
        alias: name,
      })
    }
    const codexHome = app.dirs.env.CODEX_HOME
    mkdirSync(codexHome, { recursive: true })
    const configFile = join(codexHome, 'config.toml')
    const original = userConfig(backend.url)
    writeFileSync(configFile, original)
    await app.client.call('codex.use', { alias: 'a' })
    work = mkdtempSync(join(tmpdir(), 'oma-cx-'))
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: app.dirs.home,
      CODEX_HOME: codexHome,
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: issuer.tokenUrl,
      RUST_LOG: 'warn',
      ...proxyEnv(guard.url),
    }
    const exec = (prompt: string) => run(['exec', '--skip-git-repo-check', '-s', 'read-only', prompt], env, work!)

    // A session of the user's own provider, before setup.
    const before = await exec('before setup')
    expect(before.code, before.stderr).toBe(0)
    expect(await listedSessions(env)).toEqual(['before setup'])

    await app.client.call('settings.update', { gatewayPort: await freePort() })
    const setup = await runCli(['codex', 'setup', '--json'], { env: app.dirs.env })
    expect(setup.code, setup.stderr).toBe(0)
    const { url } = JSON.parse(setup.stdout) as { url: string }
    expect(readFileSync(configFile, 'utf8')).toContain(`chatgpt_base_url = "${url}"`)
    expect(setup.stdout).toContain('codex resume')

    const { order } = await app.client.call('rotation.get', {})
    const first = order[0].alias
    const second = first === 'a' ? 'b' : 'a'
    backend.setBehavior(`acct-${first}`, { status: 429 })
    const seenBefore = backend.requests.length
    const turn = await exec('say hi')
    expect(turn.code, turn.stderr).toBe(0)
    expect(turn.stdout).toContain('OK')
    expect(turn.stderr).not.toMatch(/usage limit/i)

    const calls = backend.requests.slice(seenBefore).filter((r) => r.path === '/backend-api/codex/responses')
    expect(calls.map((r) => [r.accountId, r.status])).toEqual([
      [`acct-${first}`, 429],
      [`acct-${second}`, 200],
    ])
    const store = app.app.components.store.data.accounts
    for (const [r, alias] of [
      [calls[0], first],
      [calls[1], second],
    ] as const) {
      const bearer = /^Bearer (\S+)$/.exec(r.headers.authorization ?? '')?.[1] ?? ''
      expect(bearer).toBe(store[alias].accessToken)
      expect(r.headers['chatgpt-account-id']).toBe(`acct-${alias}`)
      expect(decodeJwt(bearer)['https://api.openai.com/auth']).toMatchObject({ chatgpt_account_id: `acct-${alias}` })
      expect(r.headers.originator).toBe('codex_exec')
    }
    // What Codex itself sent the gateway: the gateway secret, no account token (the daemon's log says how each was let in).
    const log = readFileSync(app.dirs.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"gateway request"'))
      .map((l) => JSON.parse(l) as { path: string; auth: string })
    const responses = log.filter((l) => l.path === '/backend-api/codex/responses')
    expect(responses.length).toBeGreaterThanOrEqual(1)
    expect(responses.every((l) => l.auth === 'secret')).toBe(true)
    const secret = readFileSync(app.app.components.config.gatewaySecretFile, 'utf8').trim()
    for (const r of backend.requests) expect(JSON.stringify(r.headers)).not.toContain(secret)
    expect((await app.client.call('gateway.status', {})).failovers).toBe(1)

    // As setup said: the earlier session is not offered while setup is in place; the new one is.
    expect(await listedSessions(env)).toEqual(['say hi'])

    const undo = await runCli(['codex', 'setup', '--undo'], { env: app.dirs.env })
    expect(undo.code, undo.stderr).toBe(0)
    expect(readFileSync(configFile, 'utf8')).toBe(original)
    expect(await listedSessions(env)).toEqual(['before setup'])
  }, 180_000)
})
