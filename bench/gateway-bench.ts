/**
 * The gateway for the Codex CLI: time to first byte through it minus straight to the
 * backend (side by side, one run), and whether a stream of many small chunks arrives with
 * the spacing the backend sent it (no buffering). The backend is a bare local SSE server,
 * so the numbers are the gateway's own cost: the daemon runs as its own process (as in
 * use), logging at info, its account token valid.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { claimsFor, mintJwt } from '../test/fakes/jwt.js'
import { join } from 'node:path'
import { cleanup, makeDirs, startDaemon } from '../test/helpers/daemon.js'
import { printTable } from './stats.js'

const TTFB_RUNS = 300
const CHUNKS = 60
const SPACING_MS = 10

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

/** POST .../codex/responses: `x-chunks: N` streams N small events SPACING_MS apart, else one event at once. */
function backend(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const n = Number(req.headers['x-chunks'] ?? 1)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      let i = 0
      const send = (): void => {
        res.write(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"${i}"}\n\n`)
        if (++i >= n) return void res.end()
        setTimeout(send, SPACING_MS)
      }
      send()
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backend-api` }),
    ),
  )
}

async function firstByteMs(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers, body })
  const reader = res.body!.getReader()
  await reader.read()
  const ms = performance.now() - t0
  await reader.cancel()
  return ms
}

/** Arrival times (ms after the first chunk) of each chunk, as the client reads them. */
async function arrivals(url: string, headers: Record<string, string>, body: string): Promise<number[]> {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'x-chunks': String(CHUNKS) }, body })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const times: number[] = []
  const decoder = new TextDecoder()
  let pending = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    const now = performance.now()
    pending += decoder.decode(value, { stream: true })
    for (let i = pending.indexOf('\n\n'); i >= 0; i = pending.indexOf('\n\n')) {
      pending = pending.slice(i + 2)
      times.push(now)
    }
  }
  return times.map((t) => t - times[0])
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i])
}

export async function run(): Promise<void> {
  const { server, url: direct } = await backend()
  // Logging at info, as a daemon runs by default (debug writes a line per request).
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: direct, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'info' })
  const daemon = await startDaemon(dirs)
  const client = await daemon.connect()
  const t = { client }
  try {
    const now = Math.floor(Date.now() / 1000)
    const who = { email: 'bench@example.com', accountId: 'acct-bench', userId: 'user-bench' }
    const token = mintJwt({ ...claimsFor(who, now, now + 864_000) })
    await t.client.call('accounts.add', {
      accessToken: token,
      refreshToken: 'rt-bench',
      idToken: token,
      alias: 'bench',
    })
    await t.client.call('settings.update', { gatewayEnabled: true, gatewayPort: 0 })
    const { url: gateway } = await t.client.call('gateway.status', {})
    const secret = readFileSync(join(dirs.env.XDG_CONFIG_HOME, 'opencode-multi-auth', 'gateway.secret'), 'utf8').trim()
    const body = JSON.stringify({ model: 'gpt-5.5', input: [], store: false, stream: true, prompt_cache_key: 'bench' })
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` }
    const directUrl = `${direct}/codex/responses`
    const viaUrl = `${gateway}/codex/responses`

    const d: number[] = []
    const g: number[] = []
    for (let i = 0; i < 20; i++) {
      await firstByteMs(directUrl, headers, body)
      await firstByteMs(viaUrl, headers, body)
    }
    // Interleaved, so machine noise hits both alike.
    for (let i = 0; i < TTFB_RUNS; i++) {
      d.push(await firstByteMs(directUrl, headers, body))
      g.push(await firstByteMs(viaUrl, headers, body))
    }
    const diff = d.map((x, i) => g[i] - x)
    printTable(
      `Gateway: time to first byte (${TTFB_RUNS} requests each, interleaved; target: p50 through minus direct < 1 ms)`,
      ['path', 'p50 ms', 'p90 ms', 'p99 ms'],
      [
        ['direct to the backend', percentile(d, 50), percentile(d, 90), percentile(d, 99)],
        ['through the gateway', percentile(g, 50), percentile(g, 90), percentile(g, 99)],
        ['gateway minus direct (paired)', percentile(diff, 50), percentile(diff, 90), percentile(diff, 99)],
      ],
    )

    const directTimes = await arrivals(directUrl, headers, body)
    const viaTimes = await arrivals(viaUrl, headers, body)
    const dg = gaps(directTimes)
    const vg = gaps(viaTimes)
    printTable(
      `Gateway: ${CHUNKS} small chunks sent ${SPACING_MS} ms apart (no buffering: the spacing survives)`,
      ['path', 'chunks seen', 'gap p10 ms', 'gap p50 ms', 'gap p90 ms', 'first→last ms'],
      [
        [
          'direct',
          directTimes.length,
          percentile(dg, 10),
          percentile(dg, 50),
          percentile(dg, 90),
          directTimes.at(-1) ?? 0,
        ],
        [
          'through the gateway',
          viaTimes.length,
          percentile(vg, 10),
          percentile(vg, 50),
          percentile(vg, 90),
          viaTimes.at(-1) ?? 0,
        ],
      ],
    )
  } finally {
    client.close()
    await daemon.stop()
    cleanup(dirs)
    server.close()
    server.closeAllConnections()
  }
}
