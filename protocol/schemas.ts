import * as z from 'zod'

/** Shapes that cross the wire. Results are plain types; params are zod schemas. */

export const alias = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, 'letters, digits and . _ @ + - only')

export const HEALTH_STATES = [
  'ok',
  'cooldown',
  'rate_limited',
  'auth_invalid',
  'disabled',
  'model_unsupported',
  'workspace_deactivated',
] as const
export type Health = (typeof HEALTH_STATES)[number]

export const STRATEGIES = ['round-robin', 'least-used', 'random', 'weighted-round-robin', 'sticky', 'use-up'] as const
export const strategy = z.enum(STRATEGIES)
export type Strategy = z.infer<typeof strategy>

export type Confidence = 'fresh' | 'stale' | 'unknown' | 'error'

export interface LimitWindowView {
  /** Window length in minutes; classifies the window (5 h, weekly, ...). */
  windowMinutes?: number
  usedPercent?: number
  remainingPercent?: number
  /** Epoch ms. */
  resetAt?: number
  /** Epoch ms of the observation. */
  updatedAt?: number
}

export interface CreditsView {
  hasCredits?: boolean
  unlimited?: boolean
  balance?: string
}

export interface LimitsView {
  fiveHour?: LimitWindowView
  weekly?: LimitWindowView
  credits?: CreditsView
  confidence: Confidence
  updatedAt?: number
  error?: string
}

export interface AccountView {
  alias: string
  email?: string
  accountId?: string
  userId?: string
  planType?: string
  enabled: boolean
  health: Health
  reason?: string
  /** Epoch ms when the current non-ok health ends, if it ends by itself. */
  until?: number
  expiresAt?: number
  lastRefresh?: string
  usageCount: number
  lastUsed?: number
  limits: LimitsView
  tags: string[]
  notes?: string
  weight?: number
  hasIdToken: boolean
  source?: string
}

export const PRESETS = ['balanced', 'conservative', 'aggressive', 'custom'] as const
export const preset = z.enum(PRESETS)
export type Preset = z.infer<typeof preset>

const HOUR = 3_600_000

/** The settings' fields, each checked alone; `settingsSchema` adds the checks across fields. */
export const settingsFields = z.object({
  rotationStrategy: strategy,
  criticalThreshold: z.number().min(0).max(100),
  lowThreshold: z.number().min(0).max(100),
  accountWeights: z.record(z.string(), z.number().gt(0).max(1)),
  preset: preset,
  /** Put Pro accounts first for every model, not only for -spark models. */
  preferProAccounts: z.boolean(),
  /** Keep-alive: refresh when less than this much token life remains. */
  refreshAheadMs: z
    .number()
    .int()
    .min(60_000)
    .max(30 * 24 * HOUR),
  /** Keep-alive: refresh an idle account at least this often. */
  idleRefreshMs: z
    .number()
    .int()
    .min(HOUR)
    .max(60 * 24 * HOUR),
  /** The local gateway for the Codex CLI (docs/codex.md): off until `codex setup` or this turns it on. */
  gatewayEnabled: z.boolean(),
  /** Its 127.0.0.1 port. Fixed by default, because `codex setup` writes the URL into Codex's config; 0 picks one at each start (tests). */
  gatewayPort: z.number().int().min(0).max(65535),
  /** The daemon raises desktop notifications for alerts itself when a notifier is installed. */
  notify: z.boolean(),
  /** Proxy for the daemon's outbound calls (http:// or https:// URL); over HTTPS_PROXY/HTTP_PROXY. '' = none. */
  proxy: z
    .string()
    .max(2048)
    .refine((v) => v === '' || /^https?:\/\/[^\s/]+/.test(v), 'an http:// or https:// proxy URL, or "" for none')
    .optional(),
  /** The dashboard's TCP port on 127.0.0.1; 0 lets the system pick one. */
  dashboardPort: z.number().int().min(0).max(65_535),
  /** Start the dashboard with the daemon instead of at the first `dashboard.open`. */
  dashboardAlwaysOn: z.boolean(),
})

/** Whole settings: each field valid, critical < low, weights summing to 1. */
export const settingsSchema = settingsFields.superRefine((s, ctx) => {
  if (s.criticalThreshold >= s.lowThreshold) {
    ctx.addIssue({
      code: 'custom',
      path: ['criticalThreshold'],
      message: 'criticalThreshold must be less than lowThreshold',
    })
  }
  const weights = Object.values(s.accountWeights)
  if (weights.length > 0) {
    const sum = weights.reduce((a, b) => a + b, 0)
    if (Math.abs(sum - 1) > 0.01) {
      ctx.addIssue({
        code: 'custom',
        path: ['accountWeights'],
        message: `weights must sum to 1 (±0.01), got ${sum.toFixed(3)}`,
      })
    }
  }
})
export type Settings = z.infer<typeof settingsSchema>

/** Next to the sign-in ports (1455, 1457) and unlikely to be taken. */
export const DEFAULT_GATEWAY_PORT = 14555

export const DEFAULT_SETTINGS: Settings = {
  rotationStrategy: 'round-robin',
  criticalThreshold: 10,
  lowThreshold: 30,
  accountWeights: {},
  preset: 'balanced',
  preferProAccounts: false,
  refreshAheadMs: 24 * HOUR,
  idleRefreshMs: 4 * 24 * HOUR,
  gatewayEnabled: false,
  gatewayPort: DEFAULT_GATEWAY_PORT,
  notify: false,
  proxy: undefined,
  dashboardPort: 3434,
  dashboardAlwaysOn: false,
}

export interface ForceState {
  active: boolean
  alias: string | null
  until: number | null
  previousStrategy: Strategy | null
}

export const SETTING_NAMES = Object.keys(settingsFields.shape) as (keyof Settings)[]

/**
 * settings.update params: any subset of the settings and nothing else. Each field is
 * checked here; the checks across fields run on the merged result in the daemon.
 */
export const settingsPatch = z.strictObject(settingsFields.partial().shape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys' ? `unknown setting; known: ${SETTING_NAMES.join(', ')}` : undefined,
})
export type SettingsPatch = z.infer<typeof settingsPatch>
