// Probe: real `opencode run` with the stub plugin against the stub backend.
// Env: MODE=ok|429|401  SEED=symlink|copy|none  AUTH=env|file|none  TIMEOUT=ms  KEEP=1  AUTH_TYPE=api|oauth
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { startStub } from './stub.mjs'
import { tmpHome } from './lib.mjs'
const RC = new URL('..', import.meta.url).pathname
const OPENCODE = path.join(RC, 'node_modules/.bin/opencode')
const stub = await startStub({ mode: process.env.MODE || 'ok' })
const h = tmpHome('oc')
const ocConf = path.join(h.config, 'opencode')
fs.mkdirSync(ocConf, { recursive: true })
const pluginLog = path.join(h.root, 'plugin.jsonl')
fs.writeFileSync(
  path.join(ocConf, 'opencode.json'),
  JSON.stringify({
    $schema: 'https://opencode.ai/config.json',
    plugin: [`file://${new URL('./plugin.js', import.meta.url).pathname}`],
  }),
)
const SEED = process.env.SEED || 'symlink'
if (SEED !== 'none') {
  if (SEED !== 'lockonly') fs.mkdirSync(path.join(ocConf, 'node_modules/@opencode-ai'), { recursive: true })
  if (SEED !== 'nolock')
    fs.writeFileSync(
      path.join(ocConf, 'package-lock.json'),
      JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: { '@opencode-ai/plugin': '1.18.33' } } } }),
    )
  const src = path.join(RC, 'node_modules/@opencode-ai/plugin'),
    dst = path.join(ocConf, 'node_modules/@opencode-ai/plugin')
  if (SEED === 'symlink' || SEED === 'nolock') fs.symlinkSync(src, dst, 'dir')
  else if (SEED === 'copy') fs.cpSync(src, dst, { recursive: true })
}
const env = {
  PATH: process.env.PATH,
  HOME: h.home,
  XDG_CONFIG_HOME: h.config,
  XDG_DATA_HOME: h.data,
  XDG_CACHE_HOME: h.cache,
  XDG_STATE_HOME: h.state,
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_DISABLE_CLAUDE_CODE: '1',
  HTTPS_PROXY: `http://127.0.0.1:${stub.port}`,
  HTTP_PROXY: `http://127.0.0.1:${stub.port}`,
  NO_PROXY: '127.0.0.1,localhost',
  STUB_PORT: String(stub.port),
  PLUGIN_LOG: pluginLog,
  PLUGIN_METHOD: process.env.PLUGIN_METHOD || 'oauth',
  ...(process.env.EXTRA_ENV ? JSON.parse(process.env.EXTRA_ENV) : {}),
}
const AUTH = process.env.AUTH || 'env'
const authContent =
  process.env.AUTH_TYPE === 'oauth'
    ? { openai: { type: 'oauth', refresh: 'managed', access: 'managed', expires: Date.now() + 864e5 } }
    : { openai: { type: 'api', key: 'managed' } }
if (AUTH === 'env') env.OPENCODE_AUTH_CONTENT = JSON.stringify(authContent)
if (AUTH === 'file') {
  fs.mkdirSync(path.join(h.data, 'opencode'), { recursive: true })
  fs.writeFileSync(path.join(h.data, 'opencode/auth.json'), JSON.stringify(authContent))
}
const args = process.env.ARGS ? JSON.parse(process.env.ARGS) : ['run', 'say hi', '--model', 'openai/gpt-5.5']
const t0 = Date.now()
const cp = spawn(OPENCODE, args, { cwd: h.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
let so = '',
  se = ''
cp.stdout.on('data', (d) => (so += d))
cp.stderr.on('data', (d) => (se += d))
const to = setTimeout(
  () => {
    console.log(`!! timeout after ${process.env.TIMEOUT || 60000}ms, killing`)
    try {
      process.kill(-cp.pid, 'SIGKILL')
    } catch {}
  },
  Number(process.env.TIMEOUT || 60000),
)
const code = await new Promise((r) => cp.on('exit', (c, s) => r(c ?? s)))
clearTimeout(to)
console.log(`exit=${code} in ${Date.now() - t0}ms`)
console.log('--- stdout:\n' + so.slice(0, 3000))
console.log('--- stderr:\n' + (process.env.FULLERR ? se : se.slice(-3000)))
console.log('--- stub requests:')
for (const r of stub.requests)
  console.log(
    JSON.stringify({ t: Date.parse(r.t) - t0, method: r.method, url: r.url, escaped: r.escaped, model: r.body?.model }),
  )
console.log('--- plugin log:')
if (fs.existsSync(pluginLog))
  for (const l of fs.readFileSync(pluginLog, 'utf8').trim().split('\n')) {
    const j = JSON.parse(l)
    j.t -= t0
    console.log(JSON.stringify(j).slice(0, Number(process.env.LOGW || 1500)))
  }
await stub.close()
if (!process.env.KEEP) fs.rmSync(h.root, { recursive: true, force: true })
else console.log('kept', h.root)
