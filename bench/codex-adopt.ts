/**
 * Codex auth.json change → adopted by the daemon: latency over ~50 changes,
 * for the two ways Codex writes the file (in place, and temp file + rename).
 * Prints a table; asserts nothing. `npx tsx bench/codex-adopt.ts` runs it alone.
 *
 * The floor is the watcher's debounce (75 ms), which exists to let a file
 * written in place settle before it is read.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startApp } from '../daemon/app.js'
import { resolveConfig } from '../daemon/config.js'
import { createLogger } from '../daemon/log/logger.js'
import { DEBOUNCE_MS } from '../daemon/codex/watcher.js'

const AUTH = 'https://api.openai.com/auth'
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
const jwt = (claims: Record<string, unknown>): string =>
  `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.${randomBytes(16).toString('base64url')}`

function authJson(iat: number): Record<string, unknown> {
  const claims = {
    iat,
    exp: iat + 864_000,
    email: 'bench@example.com',
    [AUTH]: { chatgpt_account_id: 'acc-bench', chatgpt_user_id: 'user-bench', chatgpt_plan_type: 'plus' },
  }
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: jwt({ ...claims, exp: iat + 3600 }),
      access_token: jwt({ ...claims, jti: randomBytes(6).toString('hex') }),
      refresh_token: `rt_${randomBytes(12).toString('hex')}`,
      account_id: 'acc-bench',
    },
    last_refresh: new Date(iat * 1000).toISOString(),
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

export interface AdoptRow {
  mode: string
  n: number
  p50: number
  p99: number
  max: number
}

/** The measurement alone: rows per write mode. */
export async function measure(opts: { changes?: number } = {}): Promise<AdoptRow[]> {
  const changes = opts.changes ?? 50
  const root = mkdtempSync(join(tmpdir(), 'oma-bench-'))
  const home = join(root, 'home')
  mkdirSync(home, { recursive: true })
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(root, 'state'),
    CODEX_HOME: join(home, '.codex'),
    OPENCODE_MULTI_AUTH_SOCKET: join(root, 'd.sock'),
    OPENCODE_MULTI_AUTH_ISSUER: 'http://127.0.0.1:9',
    OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn',
  }
  const config = resolveConfig({ env, home })
  const logger = createLogger({ level: 'warn', stderr: false, file: join(root, 'state', 'daemon.log') })
  const app = await startApp({ config, logger, pid: process.pid, noKeepAlive: true })
  const file = config.codexAuthFile
  mkdirSync(dirname(file), { recursive: true })
  const rows: AdoptRow[] = []
  let iat = Math.floor(Date.now() / 1000) - 100_000
  try {
    for (const mode of ['in-place', 'rename'] as const) {
      const samples: number[] = []
      for (let i = 0; i < changes; i++) {
        const json = authJson(++iat)
        const access = (json.tokens as { access_token: string }).access_token
        const adopted = new Promise<number>((resolve) => {
          const off = app.components.bus.subscribe(['account.updated'], () => {
            if (Object.values(app.components.store.data.accounts).some((a) => a.accessToken === access)) {
              off()
              resolve(performance.now())
            }
          })
        })
        const text = JSON.stringify(json, null, 2)
        const t0 = performance.now()
        if (mode === 'in-place') writeFileSync(file, text, { mode: 0o600 })
        else {
          const tmp = join(dirname(file), `.auth-${randomBytes(3).toString('hex')}`)
          writeFileSync(tmp, text, { mode: 0o600 })
          renameSync(tmp, file)
        }
        samples.push((await adopted) - t0)
      }
      samples.sort((a, b) => a - b)
      rows.push({
        mode,
        n: samples.length,
        p50: pct(samples, 50),
        p99: pct(samples, 99),
        max: samples[samples.length - 1],
      })
    }
  } finally {
    await app.stop()
    await logger.close()
    rmSync(root, { recursive: true, force: true })
  }
  return rows
}

/** Measures and prints the table (what `npm run bench` calls). */
export async function run(opts: { changes?: number } = {}): Promise<void> {
  const rows = await measure(opts)
  const fmt = (ms: number): string => `${ms.toFixed(1)} ms`
  const lines = [
    '',
    `Codex auth.json change → adopted (debounce ${DEBOUNCE_MS} ms)`,
    ['write', 'n', 'p50', 'p99', 'max'].map((h) => h.padEnd(10)).join(''),
    ...rows.map((r) => [r.mode, String(r.n), fmt(r.p50), fmt(r.p99), fmt(r.max)].map((c) => c.padEnd(10)).join('')),
  ]
  console.log(lines.join('\n'))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
