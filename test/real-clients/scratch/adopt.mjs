// Does a running Codex adopt an auth.json rewritten by someone else (same account)?
// MODE=before: fresh tokens; rewrite file; getAuthStatus(refreshToken:false) then (refreshToken:true)
// MODE=during: near-exp tokens, token endpoint slow (3 s); rewrite file while Codex's refresh is in flight
// MODE=other:  like before, but the rewrite holds ANOTHER account
import fs from 'node:fs'
import path from 'node:path'
import { startStub } from './stub.mjs'
import { codexAuth, tmpHome, decode, codexConfig } from './lib.mjs'
import { appServer } from './rpc.mjs'
const MODE = process.env.MODE || 'before'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const stub = await startStub({ tokenDelayMs: MODE === 'during' ? 3000 : 0 })
const h = tmpHome('cx')
const authPath = path.join(h.codexHome, 'auth.json')
fs.writeFileSync(path.join(h.codexHome, 'config.toml'), codexConfig(stub.port))
const orig = codexAuth({ expIn: MODE === 'during' ? 120 : 864000, refresh: 'rt-orig' })
fs.writeFileSync(authPath, JSON.stringify(orig, null, 2))
const env = {
  PATH: process.env.PATH,
  HOME: h.home,
  CODEX_HOME: h.codexHome,
  RUST_LOG: 'warn',
  NO_PROXY: '127.0.0.1,localhost',
  HTTPS_PROXY: `http://127.0.0.1:${stub.port}`,
  HTTP_PROXY: `http://127.0.0.1:${stub.port}`,
  CODEX_REFRESH_TOKEN_URL_OVERRIDE: `http://127.0.0.1:${stub.port}/oauth/token`,
}
const timeline = []
let last = ''
const t0 = Date.now()
const poll = setInterval(() => {
  try {
    const raw = fs.readFileSync(authPath, 'utf8')
    if (raw !== last) {
      last = raw
      const j = JSON.parse(raw)
      timeline.push(`${Date.now() - t0}ms rt=${j.tokens.refresh_token} ino=${fs.statSync(authPath).ino}`)
    }
  } catch (e) {
    timeline.push(`${Date.now() - t0}ms read error ${e.message}`)
  }
}, 10)
const as = appServer(env)
const tok = () =>
  stub.requests
    .filter((r) => r.url.startsWith('/oauth/token'))
    .map((r) => `${r.body.refresh_reason}:${r.body.refresh_token}`)
const escaped = () => stub.requests.filter((r) => r.escaped).map((r) => r.url)
const init = as.initialize()
if (MODE !== 'during') await init
await sleep(1000)
const ours = codexAuth({
  expIn: 864000,
  refresh: 'rt-from-daemon',
  accountId: MODE === 'other' ? 'acct-2' : 'acct-1',
  email: MODE === 'other' ? 'b@example.com' : 'a@example.com',
})
fs.writeFileSync(authPath, JSON.stringify(ours, null, 2))
console.log('t=1s rewrote auth.json -> rt-from-daemon; token posts so far:', tok())
if (MODE === 'during') {
  await init
  console.log(`initialize answered at ${Date.now() - t0}ms`)
  await sleep(500)
}
const s1 = await as.call('getAuthStatus', { includeToken: true, refreshToken: false })
const who = (t) =>
  t === ours.tokens.access_token
    ? 'OURS(file rewrite)'
    : t === orig.tokens.access_token
      ? 'ORIG'
      : t
        ? `other jti=${decode(t).jti}`
        : t
console.log('getAuthStatus(refresh:false) token:', who(s1.result?.authToken))
const s2 = await as.call('getAuthStatus', { includeToken: true, refreshToken: true })
await sleep(MODE === 'during' ? 3500 : 300)
console.log(
  'getAuthStatus(refresh:true) ->',
  s2.result ? who(s2.result.authToken) : JSON.stringify(s2.error),
  'token posts:',
  tok(),
)
const fin = JSON.parse(fs.readFileSync(authPath, 'utf8'))
console.log(
  'final auth.json refresh_token:',
  fin.tokens.refresh_token,
  'access:',
  who(fin.tokens.access_token),
  'account',
  fin.tokens.account_id,
  'escaped:',
  escaped(),
)
clearInterval(poll)
console.log('file timeline:', timeline)
console.log(
  'token POST times:',
  stub.requests.filter((r) => r.url.startsWith('/oauth/token')).map((r) => `${Date.parse(r.t) - t0}ms`),
)
await as.close()
await stub.close()
fs.rmSync(h.root, { recursive: true, force: true })
