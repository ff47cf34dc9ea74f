// Probe: which provider route keeps `codex resume` listing earlier sessions (Codex 0.171).
// Makes one session under each route with `codex exec`, then asks app-server `thread/list` under each route.
// ROUTES=builtin,custom (default) | named; RESUME=1 then resumes the builtin session under the custom provider.
// Seen with 0.171.0: builtin over plain HTTP fails 'workspace routing discovery failed' (and, when
// /wham/accounts/check names a http:// origin, 'workspace backend must use an HTTPS origin');
// thread/list shows only the current provider's sessions; resuming an `openai` session under a
// custom provider fails 'Cannot change this thread's model provider from `openai` to `oma` on resume'.
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { startStub } from './stub.mjs'
import { codexAuth, tmpHome } from './lib.mjs'
import { CODEX, appServer } from './rpc.mjs'
const stub = await startStub({ mode: 'ok' })
const h = tmpHome('route')
const base = `http://127.0.0.1:${stub.port}/backend-api`
const common = `chatgpt_base_url = "${base}"
model = "gpt-5.5"
[features]
apps = false
plugins = false
[analytics]
enabled = false
[otel]
exporter = "none"
trace_exporter = "none"
metrics_exporter = "none"
`
const routes = {
  // Codex refuses this one: "Built-in providers cannot be overridden".
  named: `model_provider = "openai"\n[model_providers.openai]\nname = "openai"\nbase_url = "${base}/codex"\nwire_api = "responses"\nrequires_openai_auth = true\nsupports_websockets = false\nrequest_max_retries = 0\nstream_max_retries = 0\n${common}`,
  builtin: `openai_base_url = "${base}/codex"\n${common}`,
  custom: `model_provider = "oma"\n[model_providers.oma]\nname = "oma"\nbase_url = "${base}/codex"\nwire_api = "responses"\nrequires_openai_auth = true\nsupports_websockets = false\nrequest_max_retries = 0\nstream_max_retries = 0\n${common}`,
}
fs.writeFileSync(
  path.join(h.codexHome, 'auth.json'),
  JSON.stringify(codexAuth({ expIn: 864000, refresh: 'rt-orig' }), null, 2),
)
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
const run = (args) =>
  new Promise((r) => {
    const cp = spawn(CODEX, args, { cwd: h.root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let o = '',
      e = ''
    cp.stdout.on('data', (d) => (o += d))
    cp.stderr.on('data', (d) => (e += d))
    cp.on('exit', (c) => r({ c, o, e }))
  })
for (const name of (process.env.ROUTES || 'builtin,custom').split(',')) {
  fs.writeFileSync(path.join(h.codexHome, 'config.toml'), routes[name])
  const before = stub.requests.length
  const r = await run(['exec', '--skip-git-repo-check', '-s', 'read-only', `say hi via ${name}`])
  console.log(
    `exec via ${name}: exit ${r.c} stdout=${JSON.stringify(r.o)} stderr tail: ${r.e
      .split('\n')
      .filter((l) => !/PATH aliases|bubblewrap/.test(l))
      .slice(-4)
      .join(' | ')}`,
  )
  for (const q of stub.requests.slice(before)) console.log('   ', q.method, q.url, q.escaped ? 'ESCAPED' : '')
}
const files = []
const walk = (d) => {
  for (const f of fs.readdirSync(d, { withFileTypes: true }))
    f.isDirectory() ? walk(path.join(d, f.name)) : files.push(path.join(d, f.name))
}
if (fs.existsSync(path.join(h.codexHome, 'sessions'))) walk(path.join(h.codexHome, 'sessions'))
for (const f of files)
  console.log(
    'session',
    path.basename(f),
    JSON.parse(fs.readFileSync(f, 'utf8').split('\n')[0]).payload?.model_provider,
  )
for (const name of Object.keys(routes)) {
  fs.writeFileSync(path.join(h.codexHome, 'config.toml'), routes[name])
  const s = appServer(env)
  await s.initialize()
  for (const params of [{}, { sourceKinds: ['exec'] }, { sourceKinds: ['exec'], modelProviders: [] }]) {
    const list = await s.call('thread/list', params)
    console.log(
      `thread/list under ${name} ${JSON.stringify(params)}:`,
      JSON.stringify(list.result?.data?.map((t) => [t.preview, t.modelProvider]) ?? list),
    )
  }
  s.close?.()
}
if (process.env.RESUME) {
  const first = files.find(
    (f) => JSON.parse(fs.readFileSync(f, 'utf8').split('\n')[0]).payload?.model_provider === 'openai',
  )
  const id = JSON.parse(fs.readFileSync(first, 'utf8').split('\n')[0]).payload.id
  fs.writeFileSync(path.join(h.codexHome, 'config.toml'), routes.custom)
  const r = await run(['exec', '--skip-git-repo-check', '-s', 'read-only', 'resume', id, 'again'])
  console.log(
    `exec resume ${id} (openai session) under custom: exit ${r.c} stdout=${JSON.stringify(r.o)} ${r.e
      .split('\n')
      .filter((l) => !/PATH aliases|bubblewrap/.test(l))
      .slice(-3)
      .join(' | ')}`,
  )
  const after = []
  walk(path.join(h.codexHome, 'sessions'))
  for (const f of [...new Set(files)])
    console.log(
      'session after',
      path.basename(f),
      JSON.parse(fs.readFileSync(f, 'utf8').split('\n')[0]).payload?.model_provider,
    )
}
process.exit(0)
