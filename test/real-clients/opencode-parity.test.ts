/**
 * Request-shape parity: the real OpenCode, run in this test against one capture server,
 * once with its own ChatGPT sign-in (no plugin; its built-in Codex path to chatgpt.com,
 * caught by the capture server's test CA) and then with our plugin, under the `api` marker
 * older sign-ins stored and under the `oauth` marker ours store now. The backend must see
 * the same request either way: the same header names, OpenCode's own originator and
 * user-agent, the same body keys for the title and the main request. A client upgrade that
 * changes its shape then fails here instead of drifting silently.
 */
import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { CHATGPT_TITLE_MODEL } from '../../upstream/chatgpt-shape.js'
import { claimsFor, mintJwt } from '../fakes/jwt.js'
import { startHarness, type Harness } from '../plugin/harness.js'
import { startCapture, type Capture, type Captured } from './capture.js'
import { installed, openCodeHome } from './support.js'

const OPENCODE = installed('.bin', 'opencode')
const present = existsSync(OPENCODE) && existsSync(installed('@opencode-ai', 'plugin'))

/** Differ per run by nature (credentials, ids, framing), not by shape. */
const VOLATILE = new Set(['content-length', 'host', 'connection', 'accept-encoding'])

async function runOpenCode(env: Record<string, string>, work: string): Promise<number | string | null> {
  const proc = spawn(OPENCODE, ['run', 'say hi', '--model', 'openai/gpt-5.5'], {
    cwd: work,
    env,
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  })
  const timer = setTimeout(() => proc.pid && process.kill(-proc.pid, 'SIGKILL'), 60_000)
  const code = await new Promise<number | string | null>((done) => proc.once('exit', (c, s) => done(c ?? s)))
  clearTimeout(timer)
  return code
}

interface Shape {
  headers: string[]
  originator?: string
  userAgent: string
  body: string[]
  model: unknown
}

function shape(r: Captured): Shape {
  return {
    headers: Object.keys(r.headers)
      .filter((h) => !VOLATILE.has(h))
      .sort(),
    originator: r.headers.originator,
    userAgent: (r.headers['user-agent'] ?? '').split('/')[0],
    body: Object.keys(r.body).sort(),
    model: r.body.model,
  }
}

/** The title request (no prompt_cache_key) and the main one, as the backend saw them in one run. */
function shapes(requests: Captured[]): { title?: Shape; main?: Shape } {
  const rs = requests.filter((r) => r.path === '/backend-api/codex/responses')
  const main = rs.find((r) => typeof r.body.prompt_cache_key === 'string')
  const title = rs.find((r) => typeof r.body.prompt_cache_key !== 'string')
  return { ...(main ? { main: shape(main) } : {}), ...(title ? { title: shape(title) } : {}) }
}

describe.skipIf(!present)('OpenCode sends the same request through our plugin as with its own ChatGPT sign-in', () => {
  let capture: Capture | undefined
  let h: Harness | undefined
  afterEach(async () => {
    if (capture) expect(capture.attempts, 'OpenCode tried to reach the internet').toEqual([])
    await h?.close()
    await capture?.close()
    capture = h = undefined
  })

  it('same header names, originator, user-agent and body keys, under either marker', async () => {
    capture = await startCapture()
    h = await startHarness()
    await h.addAccount('a')
    const now = Math.floor(Date.now() / 1000)
    const own = mintJwt({
      ...claimsFor({ email: 'own@example.com', accountId: 'acct-own', userId: 'user-own' }, now, now + 864_000),
    })

    const runs: { name: string; auth: Record<string, unknown>; plugins?: string[] }[] = [
      {
        name: 'own sign-in',
        auth: { type: 'oauth', refresh: 'rt-own', access: own, expires: (now + 864_000) * 1000, accountId: 'acct-own' },
        plugins: [],
      },
      { name: 'plugin, api marker', auth: { type: 'api', key: 'opencode-multi-auth' } },
      {
        name: 'plugin, oauth marker',
        auth: {
          type: 'oauth',
          refresh: 'opencode-multi-auth',
          access: 'opencode-multi-auth',
          expires: Date.UTC(2100, 0, 1),
        },
      },
    ]
    const seen = new Map<string, { title?: Shape; main?: Shape }>()
    for (const run of runs) {
      const home = openCodeHome(capture.proxyUrl, run.auth, run.plugins)
      const from = capture.requests.length
      const code = await runOpenCode(
        {
          ...home.env,
          NODE_EXTRA_CA_CERTS: capture.caFile,
          OPENCODE_MULTI_AUTH_SOCKET: h.daemon.dirs.socketPath,
          // Our plugin goes to the same place OpenCode's own path does: the capture server.
          OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: 'https://chatgpt.com/backend-api',
          OPENCODE_MULTI_AUTH_NO_AUTOSTART: '1',
        },
        home.work,
      )
      rmSync(home.root, { recursive: true, force: true })
      expect(code, run.name).toBe(0)
      seen.set(run.name, shapes(capture.requests.slice(from)))
    }
    const reference = seen.get('own sign-in')!
    expect(reference.main?.originator).toBe('opencode')
    expect(reference.main?.userAgent).toBe('opencode')
    expect(reference.main?.body).toContain('instructions')
    expect(reference.main?.body).not.toContain('temperature')
    for (const name of ['plugin, api marker', 'plugin, oauth marker']) {
      const s = seen.get(name)!
      expect(s.main, name).toEqual(reference.main)
      // The title request may still be in flight when `opencode run` exits: compared when both were seen.
      if (!s.title || !reference.title) continue
      if (name === 'plugin, oauth marker') expect(s.title, name).toEqual(reference.title)
      else {
        // Under the api marker OpenCode picks its small model, gpt-5.4-nano, which the ChatGPT
        // path does not serve; its own path uses the session's model, which the plugin cannot
        // see in the title request. The plugin sends the ChatGPT path's small model instead.
        expect({ ...s.title, model: reference.title.model }, name).toEqual(reference.title)
        expect(s.title.model).toBe(CHATGPT_TITLE_MODEL)
      }
    }
  }, 240_000)
})
