// Does Codex take flock on $CODEX_HOME/<LOCK>? Hold it for 4 s (via flock(1)) while Codex wants to refresh.
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { startStub } from './stub.mjs'
import { codexAuth, tmpHome, codexConfig } from './lib.mjs'
import { appServer } from './rpc.mjs'
const LOCK = process.env.LOCK || 'auth.lock'
const stub = await startStub()
const h = tmpHome('cx')
const authPath = path.join(h.codexHome, 'auth.json')
fs.writeFileSync(path.join(h.codexHome, 'config.toml'), codexConfig(stub.port))
fs.writeFileSync(authPath, JSON.stringify(codexAuth({ expIn: 120, refresh: 'rt-orig' }), null, 2))
const holder = spawn('flock', ['-x', path.join(h.codexHome, LOCK), 'sleep', '4'], { stdio: 'inherit' })
await new Promise((r) => setTimeout(r, 300))
const t0 = Date.now()
let changedAt = null
const ino = fs.statSync(authPath).ino
const poll = setInterval(() => {
  if (!changedAt && fs.statSync(authPath).ino !== ino) changedAt = Date.now() - t0
}, 10)
const as = appServer({
  PATH: process.env.PATH,
  HOME: h.home,
  CODEX_HOME: h.codexHome,
  RUST_LOG: 'warn',
  NO_PROXY: '127.0.0.1,localhost',
  HTTPS_PROXY: `http://127.0.0.1:${stub.port}`,
  HTTP_PROXY: `http://127.0.0.1:${stub.port}`,
  CODEX_REFRESH_TOKEN_URL_OVERRIDE: `http://127.0.0.1:${stub.port}/oauth/token`,
})
await as.initialize()
const initAt = Date.now() - t0
await new Promise((r) => setTimeout(r, 5000))
clearInterval(poll)
console.log(
  `lock=${LOCK} held ~3.7s after start; initialize answered at ${initAt}ms; token POST at`,
  stub.requests.filter((r) => r.url.startsWith('/oauth/token')).map((r) => `${Date.parse(r.t) - t0}ms`),
  `auth.json replaced at ${changedAt}ms`,
)
await as.close()
await stub.close()
holder.kill()
fs.rmSync(h.root, { recursive: true, force: true })
