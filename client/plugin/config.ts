import { homedir } from 'node:os'
import { chatgptBaseUrl, socketPath, stateDir, type PathEnv } from '../../protocol/paths.js'

/** The credential our sign-in methods store in OpenCode: a marker, never a token. */
export const MARKER_KEY = 'opencode-multi-auth'

export interface PluginConfig {
  socketPath: string
  /** e.g. https://chatgpt.com/backend-api, no trailing slash. */
  chatgptBase: string
  /** Start the daemon when nothing answers (unless OPENCODE_MULTI_AUTH_NO_AUTOSTART=1). */
  autostart: boolean
  /** Where an auto-started daemon's early stderr goes. */
  stderrFile: string
  /** The environment an auto-started daemon gets. */
  env: Record<string, string | undefined>
  /** Per daemon call. */
  rpcTimeoutMs: number
  /** Until the backend's response headers arrive. */
  headersTimeoutMs: number
  /** Longest silence inside a streaming body. */
  idleTimeoutMs: number
  /** Node for an auto-started daemon (OpenCode runs on Bun, whose execPath is not node). */
  nodePath: string
}

function intFrom(v: string | undefined, fallback: number): number {
  const n = v === undefined ? NaN : Number(v)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

export function resolveConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<PluginConfig> = {},
): PluginConfig {
  const p: PathEnv = { env, home: env.HOME || homedir() }
  const underBun = typeof (process.versions as Record<string, string | undefined>).bun === 'string'
  return {
    socketPath: socketPath(p),
    chatgptBase: chatgptBaseUrl(p),
    autostart: env.OPENCODE_MULTI_AUTH_NO_AUTOSTART !== '1',
    stderrFile: `${stateDir(p)}/daemon.stderr`,
    env,
    rpcTimeoutMs: intFrom(env.OPENCODE_MULTI_AUTH_RPC_TIMEOUT_MS, 30_000),
    headersTimeoutMs: intFrom(env.OPENCODE_MULTI_AUTH_UPSTREAM_TIMEOUT_MS, 120_000),
    idleTimeoutMs: intFrom(env.OPENCODE_MULTI_AUTH_STREAM_IDLE_TIMEOUT_MS, 300_000),
    nodePath: env.OPENCODE_MULTI_AUTH_NODE || (underBun ? 'node' : process.execPath),
    ...overrides,
  }
}
