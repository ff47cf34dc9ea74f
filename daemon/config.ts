import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
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
  gateway?: { port?: number }
}

/** Everything the daemon needs from its environment, resolved once, at start, never at import. */
export function resolveConfig({ env, home = homedir(), passphraseFile, gateway }: ConfigInput): DaemonConfig {
  const p = { env, home }
  let passphrase = paths.passphrase(p)
  if (passphraseFile) {
    passphrase = readFileSync(passphraseFile, 'utf8').replace(/\r?\n$/, '')
    if (!passphrase) throw new Error(`passphrase file ${passphraseFile} is empty`)
  }
  return {
    socketPath: paths.socketPath(p),
    storeFile: paths.storeFile(p),
    codexAuthFile: paths.codexAuthFile(p),
    logFile: paths.logFile(p),
    logLevel: env.OPENCODE_MULTI_AUTH_LOG_LEVEL?.trim() || 'info',
    issuer: paths.issuerUrl(p),
    chatgptBaseUrl: paths.chatgptBaseUrl(p),
    passphrase,
    gatewaySecretFile: paths.gatewaySecretFile(p),
    ...(gateway ? { gatewayForced: gateway } : {}),
    env,
    home,
  }
}
