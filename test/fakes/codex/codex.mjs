#!/usr/bin/env node
// A stand-in for the Codex CLI, for tests of code that shells out to `codex` (the limits
// probe, the auth.json checks). Plain JS so it runs with bare node. It reads
// $CODEX_HOME/auth.json the way Codex does, talks to a fake backend, and leaves the same
// traces Codex leaves: a token_count line in a session log, and rotated tokens written
// back into auth.json when it had to refresh.
//
// Environment:
//   CODEX_HOME                         default ~/.codex
//   FAKE_CODEX_BACKEND_URL             .../backend-api (else chatgpt_base_url from config.toml)
//   CODEX_REFRESH_TOKEN_URL_OVERRIDE   when set, refresh like Codex if the access token is
//                                      < 300 s from exp (without it, never refresh: no internet)
//   FAKE_CODEX_CALLS                   optional file; one JSON line per invocation (argv, cwd)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes, randomUUID } from 'node:crypto'

const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'
const AUTH_CLAIM = 'https://api.openai.com/auth'
const codexHome = process.env.CODEX_HOME || path.join(os.homedir(), '.codex')
const authPath = path.join(codexHome, 'auth.json')

function decodeJwt(token) {
  const parts = typeof token === 'string' ? token.split('.') : []
  if (parts.length !== 3) throw new Error('not a three-part JWT')
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
}

/** Returns the parsed auth.json or a reason it is unusable. */
function loadAuth() {
  let text
  try {
    text = fs.readFileSync(authPath, 'utf8')
  } catch {
    return { error: 'Not logged in' }
  }
  let auth
  try {
    auth = JSON.parse(text)
  } catch (e) {
    return { error: `Error checking login status: invalid auth.json (${e.message})` }
  }
  const t = auth && auth.tokens
  if (!auth || auth.auth_mode !== 'chatgpt' || !t) return { error: 'Not logged in' }
  if (typeof auth.last_refresh !== 'string')
    return { error: 'Error checking login status: missing field `last_refresh`' }
  try {
    decodeJwt(t.id_token)
  } catch {
    return { error: 'Error checking login status: invalid id_token' }
  }
  if (typeof t.access_token !== 'string' || typeof t.refresh_token !== 'string') return { error: 'Not logged in' }
  return { auth }
}

function writeAuth(auth) {
  // Like Codex 0.169: 0600 temp file, fsync, rename; 2-space JSON without a trailing newline.
  const tmp = path.join(codexHome, `.auth-${randomBytes(3).toString('hex')}`)
  const fd = fs.openSync(tmp, 'w', 0o600)
  fs.writeSync(fd, JSON.stringify(auth, null, 2))
  fs.fsyncSync(fd)
  fs.closeSync(fd)
  fs.renameSync(tmp, authPath)
}

async function maybeRefresh(auth) {
  const url = process.env.CODEX_REFRESH_TOKEN_URL_OVERRIDE
  if (!url) return auth
  let exp = 0
  try {
    exp = Number(decodeJwt(auth.tokens.access_token).exp) || 0
  } catch {
    // not a JWT: treat it as expired
  }
  if (exp - Date.now() / 1000 >= 300) return auth
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', originator: 'codex_exec' },
    body: JSON.stringify({
      client_id: CLIENT_ID,
      grant_type: 'refresh_token',
      refresh_reason: 'proactive_expiry',
      refresh_token: auth.tokens.refresh_token,
    }),
  })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(`token refresh failed: ${res.status} ${JSON.stringify(body)}`)
  const next = {
    ...auth,
    tokens: {
      ...auth.tokens,
      ...(body.access_token ? { access_token: body.access_token } : {}),
      ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}),
      ...(body.id_token ? { id_token: body.id_token } : {}),
    },
    last_refresh: new Date().toISOString(),
  }
  writeAuth(next)
  return next
}

function backendUrl() {
  if (process.env.FAKE_CODEX_BACKEND_URL) return process.env.FAKE_CODEX_BACKEND_URL.replace(/\/+$/, '')
  try {
    const toml = fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8')
    const m = /^\s*chatgpt_base_url\s*=\s*"([^"]+)"/m.exec(toml)
    if (m) return m[1].replace(/\/+$/, '')
  } catch {
    // no config.toml
  }
  throw new Error('fake codex: set FAKE_CODEX_BACKEND_URL (or chatgpt_base_url in config.toml)')
}

function rateLimitsFrom(headers) {
  const win = (name) => {
    const used = headers.get(`x-codex-${name}-used-percent`)
    if (used === null) return null
    return {
      used_percent: Number(used),
      window_minutes: Number(headers.get(`x-codex-${name}-window-minutes`)),
      resets_at: Number(headers.get(`x-codex-${name}-reset-at`)),
    }
  }
  const primary = win('primary')
  const secondary = win('secondary')
  if (!primary && !secondary) return null
  const hasCredits = headers.get('x-codex-credits-has-credits')
  // Codex 0.169 also logs limit_id and credits; readers must tolerate the extra keys.
  const credits =
    hasCredits === null
      ? null
      : {
          has_credits: hasCredits === 'true',
          unlimited: headers.get('x-codex-credits-unlimited') === 'true',
          balance: headers.get('x-codex-credits-balance'),
        }
  return { limit_id: 'codex', limit_name: null, primary, secondary, credits, plan_type: null }
}

function writeSessionLog(sessionId, rateLimits) {
  const now = new Date()
  const iso = now.toISOString()
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)]
  const dir = path.join(codexHome, 'sessions', y, m, d)
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `rollout-${iso.slice(0, 19).replace(/:/g, '-')}-${sessionId}.jsonl`)
  // A session_meta line first, like the real logs, so readers must look for token_count.
  const lines = [
    {
      timestamp: iso,
      type: 'session_meta',
      payload: {
        id: sessionId,
        timestamp: iso,
        cwd: process.cwd(),
        originator: 'codex_exec',
        cli_version: '0.0.0-fake',
      },
    },
  ]
  if (rateLimits)
    lines.push({
      timestamp: iso,
      type: 'event_msg',
      payload: { type: 'token_count', info: null, rate_limits: rateLimits },
    })
  fs.appendFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
}

/** `codex exec [flags] <prompt>`: the last positional argument is the prompt. */
function parseExec(args) {
  const withValue = new Set([
    '-m',
    '--model',
    '-s',
    '--sandbox',
    '-c',
    '--config',
    '-C',
    '--cd',
    '-p',
    '--profile',
    '-i',
    '--image',
    '-o',
    '--output-last-message',
    '--color',
  ])
  let model = 'gpt-5'
  const positional = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-m' || a === '--model') model = args[++i]
    else if (a.startsWith('--model=')) model = a.slice('--model='.length)
    else if (withValue.has(a)) i++
    else if (!a.startsWith('-')) positional.push(a)
  }
  return { model, prompt: positional.at(-1) ?? '' }
}

async function exec(args) {
  const loaded = loadAuth()
  if (loaded.error) {
    console.error(loaded.error)
    return 1
  }
  const auth = await maybeRefresh(loaded.auth)
  const { model, prompt } = parseExec(args)
  const accountId = auth.tokens.account_id || decodeJwt(auth.tokens.access_token)[AUTH_CLAIM]?.chatgpt_account_id
  const sessionId = randomUUID()
  const res = await fetch(`${backendUrl()}/codex/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${auth.tokens.access_token}`,
      'chatgpt-account-id': accountId,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'openai-beta': 'responses=experimental',
      originator: 'codex_exec',
      session_id: sessionId,
    },
    body: JSON.stringify({
      model,
      instructions: 'You are a fake Codex.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] }],
      stream: true,
      store: false,
      prompt_cache_key: sessionId,
    }),
  })
  writeSessionLog(sessionId, rateLimitsFrom(res.headers))
  const text = await res.text()
  if (!res.ok) {
    // Codex exits 1 on 429 usage_limit_reached without retrying; so does every other error here.
    console.error(`ERROR: unexpected status ${res.status}: ${text}`)
    return 1
  }
  const reply = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)))
    .filter((e) => e.type === 'response.output_text.delta')
    .map((e) => e.delta)
    .join('')
  process.stdout.write(reply + '\n')
  return 0
}

async function main(argv) {
  if (process.env.FAKE_CODEX_CALLS) {
    fs.appendFileSync(process.env.FAKE_CODEX_CALLS, JSON.stringify({ argv, cwd: process.cwd(), codexHome }) + '\n')
  }
  if (argv[0] === '--version') {
    console.log('codex-cli 0.0.0-fake')
    return 0
  }
  if (argv[0] === 'login' && argv[1] === 'status') {
    const loaded = loadAuth()
    // The real CLI prints its status on stderr.
    console.error(loaded.error ?? 'Logged in using ChatGPT')
    return loaded.error ? 1 : 0
  }
  if (argv[0] === 'exec') return exec(argv.slice(1))
  console.error(`fake codex: unsupported command: ${argv.join(' ')}`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`fake codex: ${err && err.message ? err.message : String(err)}`)
    process.exit(1)
  },
)
