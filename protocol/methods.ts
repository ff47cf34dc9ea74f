import * as z from 'zod'
import type { ErrorName } from './error-data.js'
import { eventTopic } from './events.js'
import {
  alias,
  preset,
  settingsPatch,
  strategy,
  type AccountView,
  type ForceState,
  type Settings,
  type Strategy,
} from './schemas.js'
import type * as R from './results.js'
import { reportUsage, USAGE_BUCKETS, type UsageResult } from './usage.js'

export type * from './results.js'

/**
 * The one method table. The server registers a handler per entry and the
 * client derives its typed calls from it, so the two sides cannot drift.
 * The result type rides along as a phantom; params are validated with zod.
 */
export const TRANSPORTS = ['socket', 'http'] as const
/** Who may call: the Unix socket (every client), or HTTP (the dashboard, which never holds a token). */
export type Transport = (typeof TRANSPORTS)[number]

export interface MethodDescriptor<P extends z.ZodType, R> {
  readonly params: P
  /** What the method answers, in one line (docs/protocol.md). */
  readonly summary: string
  /**
   * The application errors it may answer with, beyond the ones any call can get
   * (PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR).
   * Their data shapes are in error-data.ts.
   */
  readonly errors: readonly ErrorName[]
  readonly transports: readonly Transport[]
  /** Type-only: never set at run time. */
  readonly result?: R
}

interface MethodSpec {
  summary: string
  errors?: readonly ErrorName[]
  transports?: readonly Transport[]
}

const EVERYWHERE: readonly Transport[] = TRANSPORTS
/** Methods that hand out or take in tokens stay off HTTP. */
const SOCKET_ONLY: readonly Transport[] = ['socket']

const method =
  <R>() =>
  <P extends z.ZodType>(params: P, spec: MethodSpec): MethodDescriptor<P, R> => ({
    params,
    summary: spec.summary,
    errors: spec.errors ?? [],
    transports: spec.transports ?? EVERYWHERE,
  })

const none = z.object({}).strict()
const optionalAlias = z.object({ alias: alias.optional() }).strict()
const byAlias = z.object({ alias }).strict()

const jwt = z
  .string()
  .min(1)
  .max(64 * 1024)

export const methods = {
  'daemon.status': method<R.DaemonStatus>()(none, {
    summary: 'version, protocolVersion, pid, startedAt, paths, encrypted, accountCount, strategy, activeAlias, force',
  }),
  'daemon.shutdown': method<{ ok: true }>()(none, { summary: '`{ok: true}`, then a graceful exit' }),

  'token.get': method<R.TokenResult>()(
    z
      .object({
        model: z.string().max(200).optional(),
        sessionKey: z.string().max(500).optional(),
        exclude: z.array(alias).max(1000).optional(),
      })
      .strict(),
    {
      summary: '`{alias, accessToken, accountId?, planType?, expiresAt}`, valid for at least 60 s',
      errors: ['NO_ELIGIBLE_ACCOUNTS', 'RATE_LIMITED', 'STORE_UNAVAILABLE'],
      transports: SOCKET_ONLY,
    },
  ),
  'token.report': method<R.ReportResult>()(
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
        usage: reportUsage.optional(),
      })
      .strict(),
    {
      summary: '`{retry, cooldownUntil?, health?}`: what the backend answered, into health and limits',
      errors: ['STORE_UNAVAILABLE'],
      transports: SOCKET_ONLY,
    },
  ),

  'accounts.list': method<{ accounts: AccountView[] }>()(none, { summary: '`{accounts: AccountView[]}`' }),
  'accounts.get': method<AccountView>()(byAlias, { summary: '`AccountView`', errors: ['ACCOUNT_NOT_FOUND'] }),
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
    {
      summary: '`AccountView` of the account the tokens belong to (identity from the JWTs)',
      errors: ['CONFLICT', 'STORE_UNAVAILABLE'],
      transports: SOCKET_ONLY,
    },
  ),
  'accounts.remove': method<{ ok: true }>()(byAlias, {
    summary: '`{ok: true}`',
    errors: ['ACCOUNT_NOT_FOUND', 'STORE_UNAVAILABLE'],
  }),
  'accounts.setEnabled': method<AccountView>()(z.object({ alias, enabled: z.boolean() }).strict(), {
    summary: '`AccountView`',
    errors: ['ACCOUNT_NOT_FOUND', 'CONFLICT', 'STORE_UNAVAILABLE'],
  }),
  'accounts.update': method<AccountView>()(
    z
      .object({
        alias,
        tags: z.array(z.string().min(1).max(64)).max(50).optional(),
        notes: z.string().max(2000).optional(),
        weight: z.number().gt(0).max(1).nullable().optional(),
      })
      .strict(),
    { summary: '`AccountView`', errors: ['ACCOUNT_NOT_FOUND', 'STORE_UNAVAILABLE'] },
  ),
  'accounts.refresh': method<R.RefreshResult>()(optionalAlias, {
    summary: '`{results: [{alias, ok, error?, code?}]}`: tokens refreshed now (one alias, or all)',
    errors: ['ACCOUNT_NOT_FOUND'],
  }),

  'login.start': method<R.LoginStart>()(
    z.object({ alias: alias.optional(), method: z.enum(['browser', 'device']).default('browser') }).strict(),
    { summary: '`{loginId, url, userCode?, method, expiresAt}`', errors: ['LOGIN_FAILED'] },
  ),
  'login.wait': method<AccountView>()(
    z.object({ loginId: z.string().min(1), timeoutMs: z.number().int().positive().max(3_600_000).optional() }).strict(),
    { summary: '`AccountView` of the signed-in account', errors: ['LOGIN_FAILED', 'CONFLICT', 'STORE_UNAVAILABLE'] },
  ),

  'rotation.get': method<R.RotationState>()(z.object({ model: z.string().optional() }).strict(), {
    summary: '`{strategy, force, activeAlias, order}`: the order token.get would try',
  }),
  'rotation.setStrategy': method<{ strategy: Strategy }>()(z.object({ strategy }).strict(), {
    summary: '`{strategy}`',
    errors: ['STORE_UNAVAILABLE'],
  }),
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
    { summary: 'force state', errors: ['ACCOUNT_NOT_FOUND', 'CONFLICT', 'STORE_UNAVAILABLE'] },
  ),
  'rotation.clearForce': method<ForceState>()(none, { summary: 'force state', errors: ['STORE_UNAVAILABLE'] }),

  'settings.get': method<Settings>()(none, { summary: 'settings in effect' }),
  'settings.update': method<Settings>()(settingsPatch, {
    summary: 'settings after the change (checked as a whole; nothing saved when invalid)',
    errors: ['STORE_UNAVAILABLE'],
  }),
  'settings.reset': method<Settings>()(none, { summary: 'the default settings', errors: ['STORE_UNAVAILABLE'] }),
  'settings.applyPreset': method<Settings>()(z.object({ preset }).strict(), {
    summary: 'settings after the preset',
    errors: ['STORE_UNAVAILABLE'],
  }),

  'limits.get': method<R.LimitsResult>()(optionalAlias, {
    summary: '`{accounts: [{alias, limits}]}`, confidence computed now',
    errors: ['ACCOUNT_NOT_FOUND'],
  }),
  'limits.refresh': method<R.LimitsQueueState>()(optionalAlias, {
    summary: 'probe queue state; results arrive as `limits.updated` events',
    errors: ['ACCOUNT_NOT_FOUND', 'LIMITS_UNAVAILABLE'],
  }),
  'limits.stop': method<R.LimitsQueueState>()(optionalAlias, {
    summary: 'probe queue state',
    errors: ['ACCOUNT_NOT_FOUND'],
  }),

  'codex.sync': method<R.CodexSyncResult>()(none, {
    summary: 'what the read of Codex `auth.json` did, and whether a symlinked one is written through',
  }),
  'codex.use': method<{ alias: string; path: string }>()(byAlias, {
    summary: '`{alias, path}`: that account written into Codex `auth.json`',
    errors: ['ACCOUNT_NOT_FOUND', 'AUTH_INVALID', 'CONFLICT'],
  }),

  'gateway.status': method<R.GatewayStatus>()(none, {
    summary: '`{enabled, url?, requests, failovers, lastError?}`: the local gateway for the Codex CLI',
  }),

  'events.subscribe': method<{ subscribed: string[] }>()(
    z.object({ topics: z.array(eventTopic).optional() }).strict(),
    { summary: '`{subscribed}`, then `event` notifications (see Events)' },
  ),
  'usage.get': method<UsageResult>()(
    z
      .object({
        alias: alias.optional(),
        /** Epoch ms; default: 7 days before now. */
        since: z.number().int().min(0).optional(),
        bucket: z.enum(USAGE_BUCKETS).optional(),
      })
      .strict(),
    {
      summary: 'per account: totals, hour/day buckets, limits and runway, plus the pool (docs/usage.md)',
      errors: ['ACCOUNT_NOT_FOUND'],
    },
  ),
  'logs.tail': method<{ lines: R.LogLine[] }>()(
    z.object({ lines: z.number().int().min(1).max(5000).optional() }).strict(),
    { summary: '`{lines}`: recent log lines, already redacted' },
  ),
  'dashboard.open': method<R.DashboardOpen>()(none, {
    summary:
      '`{url, origin, expiresAt}`: starts the dashboard if it is off; a one-time sign-in link (the code in the URL fragment)',
    errors: ['CONFLICT'],
  }),
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type ParamsOf<M extends MethodName> = z.input<Methods[M]['params']>
export type ParsedParamsOf<M extends MethodName> = z.output<Methods[M]['params']>
export type ResultOf<M extends MethodName> = NonNullable<Methods[M]['result']>

/** The notification the daemon sends to subscribers. */
export const EVENT_NOTIFICATION = 'event'

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name)
}

/** Whether `method` is served on `transport` (false for unknown names). */
export function isServedOver(method: string, transport: Transport): boolean {
  return isMethodName(method) && methods[method].transports.includes(transport)
}

/**
 * The account changes the CLI may make while no daemon runs: the daemon binary
 * answers them on its own (`--oneshot`) under the store lock.
 */
export const ONESHOT_METHODS = [
  'accounts.add',
  'accounts.remove',
  'accounts.setEnabled',
  'accounts.update',
] as const satisfies readonly MethodName[]
export type OneshotMethod = (typeof ONESHOT_METHODS)[number]

export function isOneshotMethod(name: string): name is OneshotMethod {
  return (ONESHOT_METHODS as readonly string[]).includes(name)
}
