/**
 * The environment a child of ours gets (the daemon a client launches, the
 * service manager commands, the daemon's flock): what locates files, the
 * locale and the network, and nothing that changes how a program runs
 * (NODE_OPTIONS=--require ./hook.cjs would run a project's code inside a
 * long-lived daemon) or that is a secret (the store passphrase).
 */
/** How to reach the network: the proxy variables and, for a TLS-inspecting proxy, its CA bundle. */
export const NETWORK_ENV = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
] as const

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
  ...NETWORK_ENV,
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
])

/** Never passed on, whatever prefix they carry. */
export const SECRET_ENV = ['OPENCODE_MULTI_AUTH_PASSPHRASE', 'CODEX_SOFT_STORE_PASSPHRASE'] as const

export function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  // fromEntries defines own properties: a "__proto__" key cannot reach the prototype. (A
  // null-prototype object is no option here: child_process.spawn mishandles one as env.)
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined &&
        !(SECRET_ENV as readonly string[]).includes(e[0]) &&
        (KEEP.has(e[0]) ||
          e[0].startsWith('LC_') ||
          e[0].startsWith('XDG_') ||
          e[0].startsWith('OPENCODE_MULTI_AUTH_')),
    ),
  )
}
