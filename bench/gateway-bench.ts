/**
 * The gateway for the Codex CLI: time to first byte through it minus straight to the
 * backend (side by side, one run), and whether a stream of many small chunks arrives with
 * the spacing the backend sent it (no buffering). The backend is a bare SSE server in its
 * own process, as the real one is far from Codex: "direct" pays the hop to another process
 * too, so the difference is what the gateway adds. A bare pass-through proxy (its own
 * process as well) shows the floor: what any local hop costs on this machine. The daemon
 * runs as its own process (as in use, from dist/ when built), logging at info, its account
 * token valid. Once with a small body, once with a long conversation's (Codex sends the
 * whole history every turn).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { claimsFor, mintJwt } from '../test/fakes/jwt.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { spawnBenchDaemon } from './daemon-proc.js'
import { pin, placementLabel } from './placement.js'
import { printTable } from './stats.js'

const TTFB_RUNS = 300
const CHUNKS = 60
const SPACING_MS = 10
/** Input items of ~1 KiB each: a long conversation of about 270 KiB. */
const LONG_ITEMS = 256

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}

/** Runs one of the bench's helper servers; resolves with the base URL it prints. */
async function helper(file: string, args: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [join(import.meta.dirname, file), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  // Where the daemon and this process run (placement.ts), so every hop is alike.
  if (proc.pid) pin(proc.pid)
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it listened`)))
    proc.stdout?.once('data', (d: Buffer) => resolve(String(d).trim()))
  })
  return { proc, url }
}

async function firstByteMs(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers, body })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  const ms = performance.now() - t0
  // Read on to the end, as Codex does with every turn: a cancel that comes before the stream's end
  // closes the connection (fetch aborts the request, and the gateway then aborts its upstream
  // one), so the next request would pay for new connections instead of a kept-alive hop.
  while (!(await reader.read()).done);
  return ms
}

/** Arrival times (ms after the first chunk) of each chunk, as the client reads them. */
async function arrivals(url: string, headers: Record<string, string>, body: string): Promise<number[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'x-chunks': String(CHUNKS), 'x-spacing-ms': String(SPACING_MS) },
    body,
  })
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
  return times.map((t) => t - (times[0] ?? 0))
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] ?? 0))
}

const row = (name: string, xs: number[]): (string | number)[] => [
  name,
  percentile(xs, 50),
  percentile(xs, 90),
  percentile(xs, 99),
]
const minus = (xs: number[], ys: number[]): number[] => xs.map((x, i) => x - (ys[i] ?? NaN))

function requestBody(items: number): string {
  const input = Array.from({ length: items }, (_, i) => ({
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: `${'word '.repeat(200)}${i}` }],
  }))
  return JSON.stringify({ model: 'gpt-5.5', input, store: false, stream: true, prompt_cache_key: 'bench' })
}

/** Direct, through the floor and through the gateway, interleaved so machine noise hits all alike. */
async function ttfbTable(
  what: string,
  urls: { direct: string; floor: string; gateway: string },
  headers: Record<string, string>,
  body: string,
): Promise<void> {
  const d: number[] = []
  const f: number[] = []
  const g: number[] = []
  for (let i = 0; i < 20; i++) {
    await firstByteMs(urls.direct, headers, body)
    await firstByteMs(urls.floor, headers, body)
    await firstByteMs(urls.gateway, headers, body)
  }
  for (let i = 0; i < TTFB_RUNS; i++) {
    d.push(await firstByteMs(urls.direct, headers, body))
    f.push(await firstByteMs(urls.floor, headers, body))
    g.push(await firstByteMs(urls.gateway, headers, body))
  }
  printTable(
    `Gateway: time to first byte, ${what} (${TTFB_RUNS} requests each, interleaved, ${placementLabel()}; target: p50 gateway minus direct < 1 ms)`,
    ['path', 'p50 ms', 'p90 ms', 'p99 ms'],
    [
      row('direct to the backend', d),
      row('through a bare pass-through (floor)', f),
      row('through the gateway', g),
      row('gateway minus direct (paired)', minus(g, d)),
      row('floor minus direct (paired)', minus(f, d)),
    ],
  )
}

export async function run(): Promise<void> {
  const backend = await helper('sse-backend.mjs')
  const floor = await helper('bare-proxy.mjs', [backend.url])
  // Logging at info, as a daemon runs by default (debug writes a line per request).
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'info' })
  // $BENCH_DAEMON names another build: before/after with the same bench.
  const daemon = await spawnBenchDaemon(dirs)
  const client = await daemon.connect()
  try {
    const now = Math.floor(Date.now() / 1000)
    const who = { email: 'bench@example.com', accountId: 'acct-bench', userId: 'user-bench' }
    const token = mintJwt({ ...claimsFor(who, now, now + 864_000) })
    await client.call('accounts.add', { accessToken: token, refreshToken: 'rt-bench', idToken: token, alias: 'bench' })
    await client.call('settings.update', { gatewayEnabled: true, gatewayPort: 0 })
    const { url: gateway } = await client.call('gateway.status', {})
    const secret = readFileSync(join(dirs.env.XDG_CONFIG_HOME, 'opencode-multi-auth', 'gateway.secret'), 'utf8').trim()
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` }
    const urls = {
      direct: `${backend.url}/codex/responses`,
      floor: `${floor.url}/codex/responses`,
      gateway: `${gateway}/codex/responses`,
    }
    const small = requestBody(0)
    await ttfbTable('small body', urls, headers, small)
    const long = requestBody(LONG_ITEMS)
    await ttfbTable(`a long conversation (${Math.round(long.length / 1024)} KiB body)`, urls, headers, long)

    const directTimes = await arrivals(urls.direct, headers, small)
    const viaTimes = await arrivals(urls.gateway, headers, small)
    const dg = gaps(directTimes)
    const vg = gaps(viaTimes)
    const spacing = (name: string, times: number[], gs: number[]): (string | number)[] => [
      name,
      times.length,
      percentile(gs, 10),
      percentile(gs, 50),
      percentile(gs, 90),
      times.at(-1) ?? 0,
    ]
    printTable(
      `Gateway: ${CHUNKS} small chunks sent ${SPACING_MS} ms apart (no buffering: the spacing survives)`,
      ['path', 'chunks seen', 'gap p10 ms', 'gap p50 ms', 'gap p90 ms', 'first→last ms'],
      [spacing('direct', directTimes, dg), spacing('through the gateway', viaTimes, vg)],
    )
  } finally {
    client.close()
    await daemon.stop()
    cleanup(dirs)
    floor.proc.kill()
    backend.proc.kill()
  }
}
