import { readFileSync } from 'node:fs'
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
  env: Record<string, string | undefined>
  home: string
}

export interface ConfigInput {
  env: Record<string, string | undefined>
  home?: string
  passphraseFile?: string
  /** Read by main.ts from stdin (`--passphrase-stdin`): how a client hands it over without an environment variable. */
  passphrase?: string
}

/** Everything the daemon needs from its environment, resolved once, at start, never at import. */
export function resolveConfig({ env, home = homedir(), passphraseFile, passphrase: given }: ConfigInput): DaemonConfig {
  const p = { env, home }
  let passphrase = given || paths.passphrase(p)
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
    env,
    home,
  }
}

/** Once the passphrase is in the config, the environment forgets it: nothing we spawn later can inherit it. */
export function forgetSecrets(env: Record<string, string | undefined>): void {
  for (const key of SECRET_ENV) delete env[key]
}
