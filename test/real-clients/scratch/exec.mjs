// Probe: `codex exec` against the fake backend. MODE=ok|429|401  EXPIN=seconds  CMD="login status" to run another subcommand
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { startStub } from './stub.mjs'
import { codexAuth, tmpHome, codexConfig } from './lib.mjs'
import { CODEX } from './rpc.mjs'
const stub = await startStub({ mode: process.env.MODE || 'ok' })
const h = tmpHome('cx')
fs.writeFileSync(path.join(h.codexHome, 'config.toml'), codexConfig(stub.port))
fs.writeFileSync(
  path.join(h.codexHome, 'auth.json'),
  JSON.stringify(codexAuth({ expIn: Number(process.env.EXPIN || 864000), refresh: 'rt-orig' }), null, 2),
)
const args = process.env.CMD
  ? process.env.CMD.split(' ')
  : ['exec', '--skip-git-repo-check', '-s', 'read-only', 'say hi']
const t0 = Date.now()
// spawnSync would block the stub's event loop: run async
const { spawn } = await import('node:child_process')
const cp = spawn(CODEX, args, {
  cwd: h.root,
  env: {
    PATH: process.env.PATH,
    HOME: h.home,
    CODEX_HOME: h.codexHome,
    RUST_LOG: process.env.RUST_LOG || 'warn',
    NO_PROXY: '127.0.0.1,localhost',
    HTTPS_PROXY: `http://127.0.0.1:${stub.port}`,
    HTTP_PROXY: `http://127.0.0.1:${stub.port}`,
    CODEX_REFRESH_TOKEN_URL_OVERRIDE: `http://127.0.0.1:${stub.port}/oauth/token`,
  },
  stdio: ['ignore', 'pipe', 'pipe'],
})
let so = '',
  se = ''
cp.stdout.on('data', (d) => (so += d))
cp.stderr.on('data', (d) => (se += d))
const code = await new Promise((r) => cp.on('exit', r))
console.log(`exit=${code} in ${Date.now() - t0}ms`)
console.log('--- stdout:\n' + so)
console.log(
  '--- stderr:\n' +
    se
      .split('\n')
      .filter((l) => !/PATH aliases|bubblewrap/.test(l))
      .join('\n'),
)
for (const r of stub.requests)
  console.log(
    JSON.stringify(
      process.env.BRIEF
        ? { method: r.method, url: r.url, escaped: r.escaped }
        : {
            method: r.method,
            url: r.url,
            escaped: r.escaped,
            headers: r.headers,
            body: r.url.startsWith('/oauth') ? r.body : typeof r.body === 'object' ? Object.keys(r.body) : r.body,
          },
    ),
  )
const sess = path.join(h.codexHome, 'sessions')
if (fs.existsSync(sess))
  for (const f of fs.readdirSync(sess, { recursive: true })) {
    const p = path.join(sess, f)
    if (fs.statSync(p).isFile()) {
      console.log('session file', f)
      for (const l of fs.readFileSync(p, 'utf8').split('\n'))
        if (l.includes('token_count')) console.log(l.slice(0, 700))
    }
  }
await stub.close()
if (!process.env.KEEP) fs.rmSync(h.root, { recursive: true, force: true })
