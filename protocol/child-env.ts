/**
 * The environment a child of ours gets (the daemon a client launches, the
 * service manager commands, the daemon's flock): what locates files, the
 * locale and the network, and nothing that changes how a program runs
 * (NODE_OPTIONS=--require ./hook.cjs would run a project's code inside a
 * long-lived daemon) or that is a secret (the store passphrase).
 */
const KEEP = new Set([
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TERM',
  'NO_COLOR',
  'CODEX_HOME',
  'DBUS_SESSION_BUS_ADDRESS',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  // A CA bundle for a TLS-inspecting proxy: a path, and the daemon needs it to reach the issuer.
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
])

/** Never passed on, whatever prefix they carry. */
export const SECRET_ENV = ['OPENCODE_MULTI_AUTH_PASSPHRASE', 'CODEX_SOFT_STORE_PASSPHRASE'] as const

export function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue
    if ((SECRET_ENV as readonly string[]).includes(k)) continue
    if (KEEP.has(k) || k.startsWith('LC_') || k.startsWith('XDG_') || k.startsWith('OPENCODE_MULTI_AUTH_')) out[k] = v
  }
  return out
}
