import * as z from 'zod'
import { alias, strategy } from './schemas.js'

/**
 * The events the daemon sends to subscribers (`events.subscribe`), one schema per
 * topic. Every event has `type` (its topic) and `at` (epoch ms). Events never carry
 * a token. A client may parse with `daemonEvent`; the daemon's bus is typed by it.
 */

const at = z.number()

/** What happened to an account (`account.updated` `change`). */
export const ACCOUNT_CHANGES = [
  'added',
  'updated',
  'removed',
  'enabled',
  'disabled',
  'auth_invalid',
  'cooldown',
  'rate_limited',
  'model_unsupported',
  'workspace_deactivated',
] as const
export type AccountChange = (typeof ACCOUNT_CHANGES)[number]

export const accountUpdatedEvent = z.object({
  type: z.literal('account.updated'),
  at,
  alias,
  change: z.enum(ACCOUNT_CHANGES),
})

export const tokenRefreshedEvent = z.object({
  type: z.literal('token.refreshed'),
  at,
  alias,
  expiresAt: z.number(),
  /** Why the refresh ran: expiring, keepalive, manual, codex-use, ... */
  reason: z.string(),
})

export const rotationChangedEvent = z.discriminatedUnion('change', [
  z.object({ type: z.literal('rotation.changed'), at, change: z.literal('settings'), strategy }),
  z.object({
    type: z.literal('rotation.changed'),
    at,
    change: z.literal('force'),
    alias,
    until: z.number().nullable(),
  }),
  z.object({
    type: z.literal('rotation.changed'),
    at,
    change: z.literal('force-cleared'),
    /** The strategy the end of the pin restored, if any. */
    strategy: strategy.optional(),
  }),
  z.object({
    type: z.literal('rotation.changed'),
    at,
    change: z.literal('active'),
    alias,
    previous: z.string().nullable(),
  }),
])

export const limitsUpdatedEvent = z.union([
  /** Limit headers on a backend answer (token.report). */
  z.object({ type: z.literal('limits.updated'), at, source: z.literal('headers'), alias }),
  /** One probe of the usage endpoint finished (limits.refresh); `pending` probes are left. */
  z.object({
    type: z.literal('limits.updated'),
    at,
    source: z.literal('probe'),
    alias,
    ok: z.boolean(),
    error: z.string().optional(),
    pending: z.number().int().nonnegative(),
  }),
  /** limits.stop dropped queued probes: they will not report. */
  z.object({
    type: z.literal('limits.updated'),
    at,
    source: z.literal('probe'),
    change: z.literal('stopped'),
    aliases: z.array(alias),
    pending: z.number().int().nonnegative(),
  }),
])

export const storeReloadedEvent = z.object({ type: z.literal('store.reloaded'), at })

/*
 * Alerts: each raised once per crossing, never once per request (docs/usage.md);
 * protocol/alerts.ts words them for people.
 */

/** An account went under the low or the critical threshold (percent left of its lowest window). */
export const limitsThresholdEvent = z.object({
  type: z.literal('limits.threshold'),
  at,
  alias,
  level: z.enum(['low', 'critical']),
  remainingPercent: z.number(),
  threshold: z.number(),
  window: z.enum(['fiveHour', 'weekly']).optional(),
})

/** A limit the account was held on (a 429, a window at 100 %) has lifted. */
export const limitsResetEvent = z.object({
  type: z.literal('limits.reset'),
  at,
  alias,
  limitedUntil: z.number().optional(),
})

/** The account became auth_invalid: it needs a new sign-in. */
export const accountNeedsLoginEvent = z.object({
  type: z.literal('account.needsLogin'),
  at,
  alias,
  reason: z.string().optional(),
})

/** No account can serve; `nextResetAt`: the soonest one frees up by itself, if any does. */
export const poolExhaustedEvent = z.object({
  type: z.literal('pool.exhausted'),
  at,
  accounts: z.number().int().nonnegative(),
  nextResetAt: z.number().optional(),
})

/** One entry per topic: the table the topic list, the bus and the docs come from. */
export const eventSchemas = {
  'account.updated': accountUpdatedEvent,
  'token.refreshed': tokenRefreshedEvent,
  'rotation.changed': rotationChangedEvent,
  'limits.updated': limitsUpdatedEvent,
  'store.reloaded': storeReloadedEvent,
  'limits.threshold': limitsThresholdEvent,
  'limits.reset': limitsResetEvent,
  'account.needsLogin': accountNeedsLoginEvent,
  'pool.exhausted': poolExhaustedEvent,
} as const

export type EventTopic = keyof typeof eventSchemas
export const EVENT_TOPICS = Object.keys(eventSchemas) as [EventTopic, ...EventTopic[]]
export const eventTopic = z.enum(EVENT_TOPICS)

export const daemonEvent = z.union([
  accountUpdatedEvent,
  tokenRefreshedEvent,
  rotationChangedEvent,
  limitsUpdatedEvent,
  storeReloadedEvent,
  limitsThresholdEvent,
  limitsResetEvent,
  accountNeedsLoginEvent,
  poolExhaustedEvent,
])
/** Any event the daemon sends. Narrow on `type` (and `change` / `source`). */
export type DaemonEvent = z.infer<typeof daemonEvent>
/** The event of one topic. */
export type EventOf<T extends EventTopic> = z.infer<(typeof eventSchemas)[T]>

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** What an emitter supplies for a topic: everything but `type` and `at`, which the bus adds. */
export type EventFields<T extends EventTopic> = DistributiveOmit<EventOf<T>, 'type' | 'at'>
