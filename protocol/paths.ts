/**
 * Path resolution shared by daemon and clients. Pure: the caller passes the
 * environment and home directory, so nothing is resolved at import time.
 */
export interface PathEnv {
  env: Record<string, string | undefined>
  home: string
}

export const APP = 'opencode-multi-auth'
/** sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS; keep room for NUL. */
export const MAX_SOCKET_PATH_BYTES = 103

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim()
  return t ? t : undefined
}

function join(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/')
}

function dirnameOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/')
  return i <= 0 ? '/' : p.slice(0, i)
}

export function configDir({ env, home }: PathEnv): string {
  return join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config'), APP)
}

export function stateDir({ env, home }: PathEnv): string {
  return join(nonEmpty(env.XDG_STATE_HOME) ?? join(home, '.local', 'state'), APP)
}

export function storeFile(p: PathEnv): string {
  const file = nonEmpty(p.env.OPENCODE_MULTI_AUTH_STORE_FILE)
  if (file) return file
  const dir = nonEmpty(p.env.OPENCODE_MULTI_AUTH_STORE_DIR) ?? configDir(p)
  return join(dir, 'accounts.json')
}

export function storeDir(p: PathEnv): string {
  return dirnameOf(storeFile(p))
}

export function socketPath(p: PathEnv): string {
  const explicit = nonEmpty(p.env.OPENCODE_MULTI_AUTH_SOCKET)
  if (explicit) return explicit
  const runtime = nonEmpty(p.env.XDG_RUNTIME_DIR)
  if (runtime) return join(runtime, APP, 'daemon.sock')
  return join(stateDir(p), 'daemon.sock')
}

export function socketDir(p: PathEnv): string {
  return dirnameOf(socketPath(p))
}

/** The gateway's secret (0600): Codex sends it as its Bearer, written there by `codex setup`. */
export function gatewaySecretFile(p: PathEnv): string {
  return nonEmpty(p.env.OPENCODE_MULTI_AUTH_GATEWAY_SECRET_FILE) ?? join(configDir(p), 'gateway.secret')
}

export function logFile(p: PathEnv): string {
  return nonEmpty(p.env.OPENCODE_MULTI_AUTH_LOG_FILE) ?? join(stateDir(p), 'daemon.log')
}

export function codexAuthFile(p: PathEnv): string {
  const explicit = nonEmpty(p.env.OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE)
  if (explicit) return explicit
  const codexHome = nonEmpty(p.env.CODEX_HOME) ?? join(p.home, '.codex')
  return join(codexHome, 'auth.json')
}

export function issuerUrl({ env }: PathEnv): string {
  return (nonEmpty(env.OPENCODE_MULTI_AUTH_ISSUER) ?? 'https://auth.openai.com').replace(/\/+$/, '')
}

/**
 * The ChatGPT backend, which receives every access token: https, or plain http on
 * loopback only (the fake backend in tests), like the OAuth issuer. Throws otherwise.
 */
export function chatgptBaseUrl({ env }: PathEnv): string {
  const raw = nonEmpty(env.OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL) ?? 'https://chatgpt.com/backend-api'
  requireSecureUrl(raw, 'OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL')
  return raw.replace(/\/+$/, '')
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Whether a URL may carry a secret: https anywhere, plain http only to this machine. */
export function isSecureUrl(url: URL): boolean {
  if (url.protocol === 'https:') return true
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
  return url.protocol === 'http:' && loopback
}

/** The parsed URL, or an error naming `what` when it is not a URL or not secure (see isSecureUrl). */
export function requireSecureUrl(raw: string, what: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`${what} is not a URL: ${JSON.stringify(raw)}`)
  }
  if (!isSecureUrl(url)) throw new Error(`${what} must use https (plain http only on loopback): ${url.origin}`)
  return url
}

/** Not trimmed: whitespace may be part of a passphrase. */
export function passphrase({ env }: PathEnv): string | undefined {
  return env.OPENCODE_MULTI_AUTH_PASSPHRASE || env.CODEX_SOFT_STORE_PASSPHRASE || undefined
}

export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length
}
