/** What the methods answer: the result types of the method table (protocol/methods.ts). */
import type { ForceState, Health, LimitsView, Strategy } from './schemas.js'

export interface DaemonStatus {
  version: string
  protocolVersion: number
  pid: number
  startedAt: number
  socketPath: string
  storePath: string
  codexAuthPath: string
  logPath: string
  encrypted: boolean
  accountCount: number
  strategy: Strategy
  activeAlias: string | null
  force: ForceState
  /** Set when the store was recovered from a backup at start. */
  recoveredFrom?: string
}

export interface TokenResult {
  alias: string
  accessToken: string
  accountId?: string
  planType?: string
  expiresAt: number
}

export interface ReportResult {
  retry: boolean
  cooldownUntil?: number
  health?: Health
}

export interface RefreshResult {
  results: { alias: string; ok: boolean; error?: string; code?: string }[]
}

export interface LoginStart {
  loginId: string
  url: string
  userCode?: string
  method: 'browser' | 'device'
  expiresAt: number
}

export interface RotationState {
  strategy: Strategy
  force: ForceState
  activeAlias: string | null
  /**
   * The order token.get would try: servable accounts best first, then the
   * others with why. tier: where the thresholds put the account (normal,
   * under lowThreshold, under criticalThreshold).
   */
  order: { alias: string; health: Health; reason?: string; until?: number; tier?: 'normal' | 'low' | 'critical' }[]
}

export interface LimitsResult {
  accounts: { alias: string; limits: LimitsView }[]
}

export interface LimitsQueueState {
  queued: string[]
  running: string | null
  results: { alias: string; ok: boolean; error?: string }[]
}

export interface CodexSyncResult {
  path: string
  action: 'none' | 'missing' | 'invalid' | 'added' | 'updated' | 'unchanged' | 'older'
  alias?: string
  detail?: string
  at: number
  /**
   * Present when auth.json is a symbolic link: where it leads, and whether the
   * daemon writes through it (only to a regular file of this user with no
   * group/other permission bits); `reason` says why not.
   */
  link?: { target: string; writable: boolean; reason?: string }
}

export interface DashboardOpen {
  /** The one-time sign-in link; its secret is in the fragment, which browsers never send. */
  url: string
  /** The listener, without any secret. */
  origin: string
  /** Epoch ms after which the link no longer signs in. */
  expiresAt: number
}

export interface GatewayStatus {
  enabled: boolean
  /** The ChatGPT base URL Codex is pointed at, when listening. */
  url?: string
  /** Requests served since the daemon started (every path). */
  requests: number
  /** Responses requests moved to another account before Codex saw the failure. */
  failovers: number
  /** The last failure the gateway met (no secret, no prompt text). */
  lastError?: { at: number; message: string }
}

export interface LogLine {
  level: string
  message: string
  timestamp: string
  [key: string]: unknown
}
