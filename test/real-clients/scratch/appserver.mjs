// Probe: codex app-server refresh behaviour against the fake issuer.
// usage: node appserver.mjs <scenario>   scenarios: init-near-exp | init-fresh | status-force | adopt | nolast
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { startStub } from './stub.mjs'
import { codexAuth, tmpHome, decode, codexConfig } from './lib.mjs'

const CODEX = new URL('../node_modules/.bin/codex', import.meta.url).pathname
const scenario = process.argv[2] || 'init-near-exp'
const stub = await startStub({ tokenDelayMs: Number(process.env.TOKEN_DELAY || 0) })
if (process.env.TOKEN_STATUS) stub.state.tokenStatus = Number(process.env.TOKEN_STATUS)
const h = tmpHome('cx')
const authPath = path.join(h.codexHome, 'auth.json')
const expIn = scenario === 'init-fresh' || scenario === 'status-force' ? 10 * 86400 : 120
const a = codexAuth({ expIn, refresh: 'rt-orig' })
if (scenario === 'nolast') delete a.last_refresh
if (process.env.EXTRAKEY) {
  a.x_ours = { alias: 'work' }
  a.tokens.x_tok = 1
}
fs.writeFileSync(authPath, JSON.stringify(a, null, 2))
fs.chmodSync(authPath, 0o600)
if (!process.env.NOCONFIG)
  fs.writeFileSync(path.join(h.codexHome, 'config.toml'), codexConfig(stub.port) + (process.env.EXTRA_TOML || ''))
const ino0 = fs.statSync(authPath).ino

const env = {
  PATH: process.env.PATH,
  HOME: h.home,
  CODEX_HOME: h.codexHome,
  RUST_LOG: process.env.RUST_LOG || 'warn',
  HTTPS_PROXY: `http://127.0.0.1:${stub.port}`,
  HTTP_PROXY: `http://127.0.0.1:${stub.port}`,
  NO_PROXY: '127.0.0.1,localhost',
  CODEX_REFRESH_TOKEN_URL_OVERRIDE: `http://127.0.0.1:${stub.port}/oauth/token`,
}
const t0 = Date.now()
const cp = spawn(CODEX, ['app-server'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
const out = []
let buf = ''
cp.stdout.on('data', (d) => {
  buf += d
  let i
  while ((i = buf.indexOf('\n')) >= 0) {
    const l = buf.slice(0, i)
    buf = buf.slice(i + 1)
    if (l.trim()) {
      out.push(l)
      console.log(`[${Date.now() - t0}ms] <-`, l.slice(0, 600))
    }
  }
})
cp.stderr.on('data', (d) => process.stderr.write(`[stderr] ${d}`))
const send = (o) => {
  console.log(`[${Date.now() - t0}ms] ->`, JSON.stringify(o))
  cp.stdin.write(JSON.stringify(o) + '\n')
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (pred, ms = 8000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (pred()) return true
    await sleep(50)
  }
  return false
}

if (scenario !== 'noinit')
  send({
    id: 1,
    method: 'initialize',
    params: { clientInfo: { name: 't', title: null, version: '1' }, capabilities: null },
  })
if (scenario !== 'noinit') await waitFor(() => out.some((l) => JSON.parse(l).id === 1))

if (scenario === 'adopt') {
  // someone else rotates the file (same account, fresh tokens) while Codex is running
  await sleep(1500)
  const b = codexAuth({ expIn: 10 * 86400, refresh: 'rt-from-daemon' })
  fs.writeFileSync(authPath, JSON.stringify(b, null, 2))
  console.log('rewrote auth.json with rt-from-daemon')
}
await sleep(Number(process.env.WAIT || 2000))
if (scenario === 'status-force' || process.env.STATUS) {
  const p = process.env.STATUS_PARAMS
    ? JSON.parse(process.env.STATUS_PARAMS)
    : { includeToken: true, refreshToken: true }
  if (process.env.INITIALIZED) send({ method: 'initialized' })
  send({ id: 2, method: 'getAuthStatus', params: p })
  await waitFor(() => out.some((l) => JSON.parse(l).id === 2))
  await sleep(500)
}
console.log('--- token requests:')
for (const r of stub.requests)
  console.log(
    JSON.stringify(
      process.env.BRIEF
        ? { method: r.method, url: r.url, escaped: r.escaped, body: r.body }
        : { method: r.method, url: r.url, escaped: r.escaped, headers: r.headers, body: r.body },
    ),
  )
console.log(
  '--- auth.json after (inode changed:',
  fs.statSync(authPath).ino !== ino0,
  'mode',
  (fs.statSync(authPath).mode & 0o777).toString(8),
  ')',
)
const raw = fs.readFileSync(authPath, 'utf8')
console.log(raw.slice(0, 200).replace(/"ey[^"]*"/g, '"<jwt>"'), '... endsWithNewline=', raw.endsWith('\n'))
const j = JSON.parse(raw)
console.log(
  'keys',
  Object.keys(j),
  'tokens keys',
  Object.keys(j.tokens || {}),
  'refresh',
  j.tokens?.refresh_token,
  'last_refresh',
  j.last_refresh,
  'access exp in',
  decode(j.tokens.access_token).exp - Math.floor(Date.now() / 1000),
)
console.log('--- codex home:', fs.readdirSync(h.codexHome))
cp.stdin.end()
cp.kill()
await stub.close()
fs.rmSync(h.root, { recursive: true, force: true })
