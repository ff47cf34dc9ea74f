import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { SECRET_ENV } from '../protocol/child-env.js'
import * as paths from '../protocol/paths.js'

export interface DaemonConfig {
  socketPath: string
  storeFile: string
  codexAuthFile: string
  logFile: string
  logLevel: string
  issuer: string
  chatgptBaseUrl: string
  passphrase?: string
  /** `--dashboard-port`: overrides the dashboardPort setting. */
  dashboardPort?: number
  /** The gateway's secret file (protocol/paths.ts). */
  gatewaySecretFile: string
  /** --gateway [--gateway-port N]: the gateway is on whatever the settings say. */
  gatewayForced?: { port?: number }
  env: Record<string, string | undefined>
  home: string
}

export interface ConfigInput {
  env: Record<string, string | undefined>
  home?: string
  passphraseFile?: string
  dashboardPort?: number
  gateway?: { port?: number }
  /** Read by main.ts from stdin (`--passphrase-stdin`): how a client hands it over without an environment variable. */
  passphrase?: string
}

/** A setting the daemon cannot start with; the message says what to change. */
export class ConfigError extends Error {}

/**
 * Like ssh with a private key: a passphrase file that others on the machine can read
 * is refused, not used (whoever can read it can decrypt the store).
 */
function readPassphraseFile(file: string): string {
  let mode: number
  let text: string
  try {
    mode = statSync(file).mode & 0o777
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError(`cannot read the passphrase file ${file} (${code})`)
  }
  if (mode & 0o077) {
    const octal = mode.toString(8).padStart(4, '0')
    throw new ConfigError(
      `the passphrase file ${file} is readable by others (mode ${octal}); make it private: chmod 600 ${file}`,
    )
  }
  const passphrase = text.replace(/\r?\n$/, '')
  if (!passphrase) throw new ConfigError(`passphrase file ${file} is empty`)
  return passphrase
}

function checked<T>(get: () => T): T {
  try {
    return get()
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err))
  }
}

/** Everything the daemon needs from its environment, resolved once, at start, never at import. */
export function resolveConfig({
  env,
  home = homedir(),
  passphraseFile,
  passphrase: given,
  dashboardPort,
  gateway,
}: ConfigInput): DaemonConfig {
  const p = { env, home }
  const passphrase = passphraseFile ? readPassphraseFile(passphraseFile) : given || paths.passphrase(p)
  const issuer = paths.issuerUrl(p)
  checked(() => paths.requireSecureUrl(issuer, 'OPENCODE_MULTI_AUTH_ISSUER'))
  const chatgptBaseUrl = checked(() => paths.chatgptBaseUrl(p))
  return {
    socketPath: paths.socketPath(p),
    storeFile: paths.storeFile(p),
    codexAuthFile: paths.codexAuthFile(p),
    logFile: paths.logFile(p),
    logLevel: env.OPENCODE_MULTI_AUTH_LOG_LEVEL?.trim() || 'info',
    issuer,
    chatgptBaseUrl,
    passphrase,
    ...(dashboardPort !== undefined ? { dashboardPort } : {}),
    gatewaySecretFile: paths.gatewaySecretFile(p),
    ...(gateway ? { gatewayForced: gateway } : {}),
    env,
    home,
  }
}

/** Once the passphrase is in the config, the environment forgets it: nothing we spawn later can inherit it. */
export function forgetSecrets(env: Record<string, string | undefined>): void {
  for (const key of SECRET_ENV) delete env[key]
}
