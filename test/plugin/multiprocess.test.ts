import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const worker = join(here, 'fixtures', 'plugin-worker.ts')
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

interface WorkerResult {
  code: number | null
  out: string
  err: string
}

function runWorker(id: number, env: Record<string, string>, requests: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', tsx, worker], {
      env: {
        ...env,
        PLUGIN_WORKER_ID: String(id),
        PLUGIN_WORKER_REQUESTS: String(requests),
        PLUGIN_WORKER_CONCURRENCY: '6',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    proc.once('exit', (code) => resolve({ code, out, err }))
  })
}

describe('four plugin instances in four processes share one daemon', () => {
  let h: Harness
  beforeAll(async () => {
    // Access tokens live 60 s and token.get guarantees more than 60 s: every token is
    // stale the moment it is minted, so each request meets an expiring account.
    h = await startHarness({ accessTokenTtlS: 60 })
    for (const name of ['a', 'b', 'c']) await h.addAccount(name)
  })
  afterAll(async () => h?.close())

  it('200 requests with accounts expiring during the run: every one served, no refresh token ever replayed', async () => {
    const refreshesBefore = h.issuer.refreshCalls
    const env = { ...h.daemon.dirs.env, OPENCODE_MULTI_AUTH_NO_AUTOSTART: '1' }
    const results = await Promise.all([0, 1, 2, 3].map((id) => runWorker(id, env, 50)))
    for (const r of results) expect(r.code, r.err).toBe(0)
    const statuses: Record<string, number> = {}
    for (const r of results) {
      const parsed = JSON.parse(r.out.trim()) as { statuses: Record<string, number>; errors: string[] }
      expect(parsed.errors).toEqual([])
      for (const [s, n] of Object.entries(parsed.statuses)) statuses[s] = (statuses[s] ?? 0) + n
    }
    expect(statuses).toEqual({ 200: 200 })

    const served = h.backend.requests.filter((r) => r.path.endsWith('/codex/responses'))
    expect(served).toHaveLength(200)
    expect(served.every((r) => r.status === 200)).toBe(true)
    // Tokens did expire and were refreshed while the four processes ran: the backend saw
    // more access tokens than there are accounts, every one of them unexpired (it checks)...
    expect(h.issuer.refreshCalls - refreshesBefore).toBeGreaterThanOrEqual(3)
    const bearers = new Set(served.map((r) => r.headers.authorization))
    expect(bearers.size).toBeGreaterThan(3)
    // ...and never with a spent refresh token.
    expect(h.issuer.reuseDetected).toBe(0)
    expect(h.issuer.calls.filter((c) => c.reason === 'reused')).toHaveLength(0)
  }, 90_000)
})
