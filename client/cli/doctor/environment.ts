import { jwtIssuedAt, ok, warn, fail, type Check } from './check.js'

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const

/** Strips credentials from a proxy URL before it is shown. */
function shown(v: string): string {
  try {
    const u = new URL(v)
    if (u.username || u.password) {
      u.username = '***'
      u.password = ''
    }
    return u.toString()
  } catch {
    return v
  }
}

export function proxyCheck(env: Record<string, string | undefined>, setting: string | undefined): Check {
  const set = PROXY_VARS.filter((k) => env[k]).map(
    (k) => `${k}=${k.toLowerCase().startsWith('no_') ? env[k] : shown(env[k] ?? '')}`,
  )
  if (setting) set.unshift(`proxy setting=${shown(setting)}`)
  return set.length
    ? ok('proxy', `in effect for the daemon's calls: ${set.join(', ')}`)
    : ok('proxy', 'none (direct connections)')
}

export function passphraseCheck(
  env: Record<string, string | undefined>,
  encrypted: boolean | undefined,
  serviceFile: string | undefined,
): Check {
  const source = env.OPENCODE_MULTI_AUTH_PASSPHRASE
    ? 'OPENCODE_MULTI_AUTH_PASSPHRASE'
    : env.CODEX_SOFT_STORE_PASSPHRASE
      ? 'CODEX_SOFT_STORE_PASSPHRASE (legacy name)'
      : serviceFile
        ? `--passphrase-file ${serviceFile} (service)`
        : undefined
  if (encrypted && !source)
    return warn(
      'passphrase',
      'the store is encrypted and no passphrase source is set here',
      'a running daemon already has it; to start one: `daemon start --passphrase-file F` or `service install --passphrase-file F`',
    )
  if (!encrypted && source)
    return warn(
      'passphrase',
      `${source} is set but the store is plaintext`,
      'the daemon encrypts it at its next write; nothing to do',
    )
  return ok('passphrase', source ?? 'none (plaintext store)')
}

/** A token issued "in the future" means this machine's clock is behind: expiry maths would be wrong. */
export function clockCheck(tokens: string[], now: number): Check {
  const skewMs = 5 * 60_000
  const ahead = tokens.map(jwtIssuedAt).filter((t): t is number => t !== undefined && t > now + skewMs)
  if (ahead.length) {
    const by = Math.round((Math.max(...ahead) - now) / 60_000)
    return fail(
      'clock',
      `a token was issued ${by} min in the future: this clock is behind`,
      'turn on time sync (timedatectl set-ntp true, or System Settings > Date & Time)',
    )
  }
  return ok(
    'clock',
    tokens.length ? `no token issued in the future (${tokens.length} checked)` : 'no token to compare with',
  )
}
