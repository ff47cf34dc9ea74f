/**
 * Where a gateway request's CPU time goes: the daemon (dist/, or $BENCH_DAEMON) under
 * `node --cpu-prof`, many Responses requests through its gateway to a bare local backend,
 * then self time by function and by file. The backend counts its TCP connections, so a
 * gateway that does not reuse them shows here. `FLOOR=1`: the same requests through the
 * gateway bench's bare pass-through proxy instead (no profiler), for its CPU per request: the
 * least a local hop costs, to hold the daemon's figure against.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { claimsFor, mintJwt } from '../test/fakes/jwt.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { cpuTimes, spawnBenchDaemon } from './daemon-proc.js'
import { printProfile } from './cpuprofile.js'
import { pin } from './placement.js'

const CALLS = Number(process.env.CALLS ?? 3000)
/** NOPROF=1: no profiler, for the daemon's CPU per request as it runs. */
const FLOOR = process.env.FLOOR === '1'
const PROFILE = process.env.NOPROF !== '1' && !FLOOR
let connections = 0
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"0"}\n\n')
  })
})
server.on('connection', () => connections++)
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const direct = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backend-api`

/** The bare pass-through's CPU per request, measured as the daemon's is below. */
async function floor(): Promise<void> {
  const proc = spawn(process.execPath, [join(import.meta.dirname, 'bare-proxy.mjs'), direct], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (proc.pid) pin(proc.pid)
  const url = await new Promise<string>((resolve) => proc.stdout.once('data', (d: Buffer) => resolve(String(d).trim())))
  const body = JSON.stringify({ model: 'gpt-5.5', input: [], store: false, stream: true, prompt_cache_key: 'p' })
  const headers = { 'content-type': 'application/json', authorization: 'Bearer x' }
  const c0 = cpuTimes(proc.pid as number)
  const t0 = performance.now()
  for (let i = 0; i < CALLS; i++)
    await (await fetch(`${url}/codex/responses`, { method: 'POST', headers, body })).text()
  const ms = (performance.now() - t0) / CALLS
  const c1 = cpuTimes(proc.pid as number)
  proc.kill()
  const userMs = ((c1.user - c0.user) * 10) / CALLS
  const sysMs = ((c1.sys - c0.sys) * 10) / CALLS
  console.log(
    `${CALLS} requests through the bare pass-through, ${ms.toFixed(3)} ms each, its CPU ${userMs.toFixed(3)} ms user + ${sysMs.toFixed(3)} ms system each; backend saw ${connections} connections`,
  )
}
if (FLOOR) {
  await floor()
  server.close()
  process.exit(0)
}
const outDir = mkdtempSync(join(tmpdir(), 'oma-gwprof-'))
const dirs = makeDirs({ OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: direct, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'info' })
try {
  const daemon = await spawnBenchDaemon(dirs, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${outDir}`] : [])
  const c = await daemon.connect()
  const now = Math.floor(Date.now() / 1000)
  const token = mintJwt({
    ...claimsFor({ email: 'p@example.com', accountId: 'acct-p', userId: 'user-p' }, now, now + 864_000),
  })
  await c.call('accounts.add', { accessToken: token, refreshToken: 'rt-p', idToken: token, alias: 'p' })
  await c.call('settings.update', { gatewayEnabled: true, gatewayPort: 0 })
  const { url } = await c.call('gateway.status', {})
  const secret = readFileSync(join(dirs.env.XDG_CONFIG_HOME, 'opencode-multi-auth', 'gateway.secret'), 'utf8').trim()
  const body = JSON.stringify({ model: 'gpt-5.5', input: [], store: false, stream: true, prompt_cache_key: 'p' })
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` }
  const c0 = cpuTimes(daemon.pid)
  const t0 = performance.now()
  for (let i = 0; i < CALLS; i++) {
    const res = await fetch(`${url}/codex/responses`, { method: 'POST', headers, body })
    await res.text()
  }
  const ms = (performance.now() - t0) / CALLS
  const c1 = cpuTimes(daemon.pid)
  const userMs = ((c1.user - c0.user) * 10) / CALLS
  const sysMs = ((c1.sys - c0.sys) * 10) / CALLS
  c.close()
  await daemon.stop()
  console.log(
    `${CALLS} requests, ${ms.toFixed(3)} ms each, daemon CPU ${userMs.toFixed(3)} ms user + ${sysMs.toFixed(3)} ms system each${PROFILE ? ' (profiling slows both)' : ''}; backend saw ${connections} connections`,
  )
  if (PROFILE) printProfile(outDir, { functions: 40, files: 30 })
} finally {
  cleanup(dirs)
  server.close()
}
