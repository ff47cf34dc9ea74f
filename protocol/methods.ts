import { z } from 'zod'
import {
  alias,
  eventTopic,
  preset,
  strategy,
  type AccountView,
  type ForceState,
  type Health,
  type LimitsView,
  type Settings,
  type Strategy,
} from './schemas.js'

/**
 * The one method table. The server registers a handler per entry and the
 * client derives its typed calls from it, so the two sides cannot drift.
 * The result type rides along as a phantom; params are validated with zod.
 */
export interface MethodDescriptor<P extends z.ZodType, R> {
  readonly params: P
  /** Type-only: never set at run time. */
  readonly result?: R
}

const method =
  <R>() =>
  <P extends z.ZodType>(params: P): MethodDescriptor<P, R> => ({ params })

const none = z.object({}).strict()
const optionalAlias = z.object({ alias: alias.optional() }).strict()
const byAlias = z.object({ alias }).strict()

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

const jwt = z
  .string()
  .min(1)
  .max(64 * 1024)

export const methods = {
  'daemon.status': method<DaemonStatus>()(none),
  'daemon.shutdown': method<{ ok: true }>()(none),

  'token.get': method<TokenResult>()(
    z
      .object({
        model: z.string().max(200).optional(),
        sessionKey: z.string().max(500).optional(),
        exclude: z.array(alias).max(1000).optional(),
      })
      .strict(),
  ),
  'token.report': method<ReportResult>()(
    z
      .object({
        alias,
        status: z.number().int().min(100).max(599),
        headers: z.record(z.string(), z.string()).optional(),
        body: z
          .string()
          .max(64 * 1024)
          .optional(),
        model: z.string().max(200).optional(),
        /** Token counts from the `response.completed` event's `response.usage`. */
        usage: z
          .object({
            inputTokens: z.number().int().nonnegative(),
            outputTokens: z.number().int().nonnegative(),
            cachedTokens: z.number().int().nonnegative().optional(),
            reasoningTokens: z.number().int().nonnegative().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  ),

  'accounts.list': method<{ accounts: AccountView[] }>()(none),
  'accounts.get': method<AccountView>()(byAlias),
  'accounts.add': method<AccountView>()(
    z
      .object({
        accessToken: jwt,
        refreshToken: z
          .string()
          .min(1)
          .max(64 * 1024),
        idToken: jwt.optional(),
        alias: alias.optional(),
        expiresAt: z.number().int().positive().optional(),
      })
      .strict(),
  ),
  'accounts.remove': method<{ ok: true }>()(byAlias),
  'accounts.setEnabled': method<AccountView>()(z.object({ alias, enabled: z.boolean() }).strict()),
  'accounts.update': method<AccountView>()(
    z
      .object({
        alias,
        tags: z.array(z.string().min(1).max(64)).max(50).optional(),
        notes: z.string().max(2000).optional(),
        weight: z.number().gt(0).max(1).nullable().optional(),
      })
      .strict(),
  ),
  'accounts.refresh': method<RefreshResult>()(optionalAlias),

  'login.start': method<LoginStart>()(
    z.object({ alias: alias.optional(), method: z.enum(['browser', 'device']).default('browser') }).strict(),
  ),
  'login.wait': method<AccountView>()(
    z.object({ loginId: z.string().min(1), timeoutMs: z.number().int().positive().max(3_600_000).optional() }).strict(),
  ),

  'rotation.get': method<RotationState>()(z.object({ model: z.string().optional() }).strict()),
  'rotation.setStrategy': method<{ strategy: Strategy }>()(z.object({ strategy }).strict()),
  'rotation.force': method<ForceState>()(
    z
      .object({
        alias,
        ttlMs: z
          .number()
          .int()
          .positive()
          .max(365 * 24 * 3_600_000)
          .optional(),
      })
      .strict(),
  ),
  'rotation.clearForce': method<ForceState>()(none),

  'settings.get': method<Settings>()(none),
  'settings.update': method<Settings>()(z.record(z.string(), z.unknown())),
  'settings.reset': method<Settings>()(none),
  'settings.applyPreset': method<Settings>()(z.object({ preset }).strict()),

  'limits.get': method<LimitsResult>()(optionalAlias),
  'limits.refresh': method<LimitsQueueState>()(optionalAlias),
  'limits.stop': method<LimitsQueueState>()(optionalAlias),

  'codex.sync': method<CodexSyncResult>()(none),
  'codex.use': method<{ alias: string; path: string }>()(byAlias),

  'gateway.status': method<GatewayStatus>()(none),

  'events.subscribe': method<{ subscribed: string[] }>()(z.object({ topics: z.array(eventTopic).optional() }).strict()),
  'logs.tail': method<{ lines: LogLine[] }>()(
    z.object({ lines: z.number().int().min(1).max(5000).optional() }).strict(),
  ),
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>
export type ParsedParamsOf<M extends MethodName> = z.output<Methods[M]['params']>
export type ResultOf<M extends MethodName> = NonNullable<Methods[M]['result']>

/** The notification the daemon sends to subscribers. */
export const EVENT_NOTIFICATION = 'event'

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name)
}
