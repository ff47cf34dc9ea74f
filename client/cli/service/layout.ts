import { dirname } from 'node:path'
import { NETWORK_ENV } from '../../../protocol/child-env.js'
import * as paths from '../../../protocol/paths.js'

/**
 * Environment a service keeps from the shell that installed it: where the
 * files are and how to reach the network. Never a passphrase (that comes from
 * --passphrase-file), never NODE_OPTIONS and the like.
 */
export const KEPT_ENV = [
  'OPENCODE_MULTI_AUTH_STORE_FILE',
  'OPENCODE_MULTI_AUTH_STORE_DIR',
  'OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE',
  'OPENCODE_MULTI_AUTH_LOG_FILE',
  'OPENCODE_MULTI_AUTH_LOG_LEVEL',
  'OPENCODE_MULTI_AUTH_ISSUER',
  'OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL',
  'CODEX_HOME',
  'XDG_CONFIG_HOME',
  'XDG_STATE_HOME',
  ...NETWORK_ENV,
] as const

export interface LayoutInput extends paths.PathEnv {
  /** Absolute node binary and the daemon entry with its arguments, as the launcher would run them. */
  command: { command: string; args: string[] }
  passphraseFile?: string
}

export interface ServiceLayout {
  node: string
  /** Entry and arguments after the node binary; all paths absolute. */
  args: string[]
  /** What the socket unit listens on: the runtime-dir default, or the path OPENCODE_MULTI_AUTH_SOCKET names. */
  listen: { kind: 'runtime' } | { kind: 'path'; path: string }
  /** Directories the daemon writes: store, state (log), Codex home. */
  writable: string[]
  env: [string, string][]
  home: string
}

export function resolveLayout(input: LayoutInput): ServiceLayout {
  const p = { env: input.env, home: input.home }
  const explicitSocket = input.env.OPENCODE_MULTI_AUTH_SOCKET?.trim()
  const writable = [
    paths.storeDir(p),
    dirname(paths.logFile(p)),
    dirname(paths.codexAuthFile(p)),
    ...(explicitSocket ? [dirname(explicitSocket)] : []),
  ]
  const env: [string, string][] = []
  for (const key of KEPT_ENV) {
    const v = input.env[key]
    if (v !== undefined && v !== '') env.push([key, v])
  }
  if (explicitSocket) env.push(['OPENCODE_MULTI_AUTH_SOCKET', explicitSocket])
  return {
    node: input.command.command,
    args: [...input.command.args, ...(input.passphraseFile ? ['--passphrase-file', input.passphraseFile] : [])],
    listen: explicitSocket ? { kind: 'path', path: explicitSocket } : { kind: 'runtime' },
    writable: [...new Set(writable)],
    env,
    home: input.home,
  }
}
