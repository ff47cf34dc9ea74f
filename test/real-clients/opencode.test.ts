/**
 * The real OpenCode (npm opencode-ai 1.18.33, installed test-only in this folder) running
 * our plugin from its TypeScript source (OpenCode runs on Bun, which imports .ts as is),
 * against a spawned daemon, the fake issuer and the fake backend, following RECIPES.md §5.
 * Offline: every non-loopback request goes to a local proxy that refuses and records it
 * (each test asserts it saw none), and each run has its own HOME/XDG.
 */
import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeJwt } from '../fakes/jwt.js'
import { startHarness, type Harness } from '../plugin/harness.js'
import { installed, openCodeHome, startGuard, type Guard } from './support.js'

const OPENCODE = installed('.bin', 'opencode')
const PLUGIN_TYPES = installed('@opencode-ai', 'plugin')
const RUN_TIMEOUT_MS = 60_000

const present = existsSync(OPENCODE) && existsSync(PLUGIN_TYPES)
if (!present) {
  console.warn(
    `real OpenCode tests skipped: ${OPENCODE} or ${PLUGIN_TYPES} is missing ` +
      '(install with `node test/real-clients/ensure.mjs`, or `npm ci` in test/real-clients)',
  )
}

interface Run {
  code: number | string | null
  stdout: string
  stderr: string
  ms: number
  timedOut: boolean
}

async function runOpenCode(h: Harness, proxy: string): Promise<Run> {
  const { root, work, env } = openCodeHome(proxy, {
    type: 'oauth',
    refresh: 'opencode-multi-auth',
    access: 'opencode-multi-auth',
    expires: Date.UTC(2100, 0, 1),
  })
  const pluginEnv = {
    OPENCODE_MULTI_AUTH_SOCKET: h.daemon.dirs.socketPath,
    OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: h.backend.url,
    OPENCODE_MULTI_AUTH_NO_AUTOSTART: '1',
  }
  const started = Date.now()
  const proc = spawn(OPENCODE, ['run', 'say hi', '--model', 'openai/gpt-5.5'], {
    cwd: work,
    env: { ...env, ...pluginEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let stdout = ''
  let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    if (proc.pid) process.kill(-proc.pid, 'SIGKILL')
  }, RUN_TIMEOUT_MS)
  const code = await new Promise<number | string | null>((done) => proc.once('exit', (c, s) => done(c ?? s)))
  clearTimeout(timer)
  rmSync(root, { recursive: true, force: true })
  return { code, stdout, stderr, ms: Date.now() - started, timedOut }
}

const responsesCalls = (h: Harness) => h.backend.requests.filter((r) => r.path.endsWith('/codex/responses'))

/** The alias the daemon would serve first (rotation.get previews without side effects). */
async function firstInOrder(h: Harness): Promise<string> {
  const { order } = await h.rpc.call('rotation.get', { model: 'gpt-5.5' })
  const first = order.find((o) => o.health === 'ok')
  if (!first) throw new Error('no servable account')
  return first.alias
}

describe.skipIf(!present)('the real OpenCode with our plugin (opencode run)', () => {
  let h: Harness | undefined
  let guard: Guard | undefined
  afterEach(async () => {
    if (h) expect(h.issuer.reuseDetected).toBe(0)
    if (guard) expect(guard.attempts, 'OpenCode tried to reach the internet').toEqual([])
    await h?.close()
    await guard?.close()
    h = guard = undefined
  })

  const proxy = (): string => {
    if (!guard) throw new Error('no guard proxy')
    return guard.url
  }

  async function twoAccounts(): Promise<Harness> {
    guard = await startGuard()
    h = await startHarness()
    await h.addAccount('a')
    await h.addAccount('b')
    return h
  }

  it('completes against the fake backend, which sees a daemon account’s Bearer and chatgpt-account-id', async () => {
    const h = await twoAccounts()
    const run = await runOpenCode(h, proxy())
    expect(run.timedOut, run.stderr).toBe(false)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('OK')
    const calls = responsesCalls(h)
    // The title request and the main one.
    expect(calls.length).toBeGreaterThanOrEqual(2)
    for (const r of calls) {
      expect(r.status).toBe(200)
      const bearer = /^Bearer (\S+)$/.exec(r.headers.authorization ?? '')?.[1] ?? ''
      const claims = decodeJwt(bearer)
      const auth = claims['https://api.openai.com/auth'] as { chatgpt_account_id: string }
      expect(['acct-a', 'acct-b']).toContain(auth.chatgpt_account_id)
      expect(r.headers['chatgpt-account-id']).toBe(auth.chatgpt_account_id)
      expect(claims.email).toBe(`${auth.chatgpt_account_id.slice(5)}@example.com`)
      expect(r.headers.originator).toBe('opencode')
      const body = r.body as { store: boolean; stream: boolean; prompt_cache_key?: string }
      expect(body.store).toBe(false)
      expect(body.stream).toBe(true)
      if (body.prompt_cache_key) expect(r.headers['session-id']).toBe(body.prompt_cache_key)
      expect(r.headers.session_id).toBeUndefined()
    }
    expect(calls.some((r) => (r.body as { model: string }).model === 'gpt-5.5')).toBe(true)
  }, 90_000)

  it('with account A answering 429, the run still completes, on account B', async () => {
    const h = await twoAccounts()
    const first = await firstInOrder(h)
    const second = first === 'a' ? 'b' : 'a'
    h.backend.setBehavior(`acct-${first}`, { status: 429 })
    const run = await runOpenCode(h, proxy())
    expect(run.timedOut, run.stderr).toBe(false)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('OK')
    const calls = responsesCalls(h)
    expect(calls.filter((r) => r.accountId === `acct-${first}`).map((r) => r.status)).toEqual([429])
    const onSecond = calls.filter((r) => r.accountId === `acct-${second}`)
    // The main request is served by B; the title request may or may not finish before
    // `opencode run` exits, so it is not counted on.
    expect(onSecond.some((r) => (r.body as { model?: string }).model === 'gpt-5.5')).toBe(true)
    expect(onSecond.every((r) => r.status === 200)).toBe(true)
    expect((await h.account(first)).health).toBe('rate_limited')
  }, 90_000)

  it('with every account limited, the run ends (no endless retry) with the plugin’s message', async () => {
    const h = await twoAccounts()
    h.backend.setBehavior('acct-a', { status: 429 })
    h.backend.setBehavior('acct-b', { status: 429 })
    const run = await runOpenCode(h, proxy())
    expect(run.timedOut, `OpenCode was still retrying after ${RUN_TIMEOUT_MS} ms`).toBe(false)
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain('opencode-multi-auth: all 2 ChatGPT accounts have reached the usage limit')
    expect(run.stderr).toContain('resets at')
    // At most one try per account for each request OpenCode has in flight (the title and
    // the main request may overlap); after that the daemon knows, and nothing retries.
    const calls = responsesCalls(h)
    expect(calls.every((r) => r.status === 429)).toBe(true)
    for (const id of ['acct-a', 'acct-b']) {
      const n = calls.filter((r) => r.accountId === id).length
      expect(n).toBeGreaterThanOrEqual(1)
      expect(n).toBeLessThanOrEqual(2)
    }
  }, 90_000)
})
