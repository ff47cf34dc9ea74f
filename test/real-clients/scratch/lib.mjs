// Throwaway helpers for probing the real clients. Not product code.
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'

const b64u = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url')

export function makeJwt({
  accountId = 'acct-1',
  userId = 'user-1',
  email = 'a@example.com',
  plan = 'plus',
  expIn = 10 * 86400,
  iat,
} = {}) {
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    exp: now + expIn,
    iat: iat ?? now,
    email,
    jti: Math.random().toString(36).slice(2, 10), // makes every token distinguishable
    'https://api.openai.com/auth': {
      chatgpt_account_id: accountId,
      chatgpt_user_id: userId,
      chatgpt_account_user_id: `${userId}__${accountId}`,
      chatgpt_plan_type: plan,
    },
  }
  return `${b64u({ alg: 'RS256', typ: 'JWT' })}.${b64u(payload)}.${b64u('sig')}`
}

export function codexAuth({
  accountId = 'acct-1',
  expIn = 10 * 86400,
  refresh = 'rt-1',
  lastRefresh = new Date().toISOString(),
  ...rest
} = {}) {
  const o = {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: makeJwt({ accountId, expIn, ...rest }),
      access_token: makeJwt({ accountId, expIn, ...rest }),
      refresh_token: refresh,
      account_id: accountId,
    },
    last_refresh: lastRefresh,
  }
  if (lastRefresh === undefined) delete o.last_refresh
  return o
}

export function tmpHome(tag = 'rc') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-`))
  const d = (p) => {
    const x = path.join(root, p)
    fs.mkdirSync(x, { recursive: true })
    return x
  }
  return {
    root,
    home: d('home'),
    codexHome: d('codex'),
    config: d('xdg/config'),
    data: d('xdg/data'),
    cache: d('xdg/cache'),
    state: d('xdg/state'),
  }
}

export const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())

// $CODEX_HOME/config.toml that keeps every Codex request on the local stub.
export const codexConfig = (port) => `chatgpt_base_url = "http://127.0.0.1:${port}/backend-api"
model_provider = "fake"
model = "gpt-5.5"

[model_providers.fake]
name = "fake"
base_url = "http://127.0.0.1:${port}/backend-api/codex"
wire_api = "responses"
requires_openai_auth = true
supports_websockets = false
request_max_retries = 0
stream_max_retries = 0

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
