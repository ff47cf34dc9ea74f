import * as z from 'zod'
import { STRATEGIES } from '../../protocol/schemas.js'

/**
 * The account store file, v2 — compatible with the old in-process plugin.
 * Every object is loose: fields we do not know (written by the old plugin or a
 * newer version of us) survive a load/save round trip.
 */

const num = z.number().finite()

export const rateLimitWindowSchema = z.looseObject({
  limit: num.optional(),
  remaining: num.optional(),
  resetAt: num.optional(),
  updatedAt: num.optional(),
  windowMinutes: num.optional(),
  usedPercent: num.optional(),
})

export const rateLimitsSchema = z.looseObject({
  fiveHour: rateLimitWindowSchema.optional(),
  weekly: rateLimitWindowSchema.optional(),
  credits: z
    .looseObject({
      hasCredits: z.boolean().optional(),
      unlimited: z.boolean().optional(),
      balance: z.string().optional(),
    })
    .optional(),
})

export const accountSchema = z.looseObject({
  alias: z.string().optional(),
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  idToken: z.string().optional(),
  accountId: z.string().optional(),
  accountUserId: z.string().optional(),
  userId: z.string().optional(),
  planType: z.string().optional(),
  expiresAt: num,
  email: z.string().optional(),
  lastRefresh: z.string().optional(),
  lastSeenAt: num.optional(),
  lastActiveUntil: num.optional(),
  lastUsed: num.optional(),
  usageCount: num.default(0),
  rateLimitedUntil: num.optional(),
  rateLimitReason: z.string().optional(),
  modelUnsupportedUntil: num.optional(),
  modelUnsupportedAt: num.optional(),
  modelUnsupportedModel: z.string().optional(),
  modelUnsupportedError: z.string().optional(),
  workspaceDeactivatedUntil: num.optional(),
  workspaceDeactivatedAt: num.optional(),
  workspaceDeactivatedError: z.string().optional(),
  authInvalid: z.boolean().optional(),
  authInvalidatedAt: num.optional(),
  authInvalidReason: z.string().optional(),
  /** Transient refresh failure: skip until then (never a rate limit). */
  cooldownUntil: num.optional(),
  cooldownReason: z.string().optional(),
  enabled: z.boolean().optional(),
  disabledAt: num.optional(),
  disabledBy: z.string().optional(),
  disableReason: z.string().optional(),
  rateLimits: rateLimitsSchema.optional(),
  rateLimitHistory: z.array(z.unknown()).optional(),
  limitStatus: z.string().optional(),
  limitError: z.string().optional(),
  lastLimitProbeAt: num.optional(),
  lastLimitErrorAt: num.optional(),
  limitsConfidence: z.string().optional(),
  tags: z.array(z.string()).optional(),
  notes: z.string().optional(),
  weight: num.optional(),
  source: z.string().optional(),
  /** Keep-alive bookkeeping. */
  nextRefreshAt: num.optional(),
  /** Set durably before a refresh is sent; cleared when its outcome is saved. */
  refreshPendingSince: num.optional(),
  refreshFailures: num.optional(),
  addedAt: num.optional(),
})
export type Account = z.infer<typeof accountSchema>

export const storeSchema = z.looseObject({
  version: z.literal(2),
  accounts: z.record(z.string(), accountSchema),
  activeAlias: z.string().nullable().default(null),
  rotationIndex: num.default(0),
  lastRotation: num.default(0),
  forcedAlias: z.string().nullable().optional(),
  forcedUntil: num.nullable().optional(),
  previousRotationStrategy: z.string().nullable().optional(),
  forcedBy: z.string().nullable().optional(),
  rotationStrategy: z.enum(STRATEGIES).optional(),
  /** Partial on disk: missing keys take their defaults when read. */
  settings: z.looseObject({}).optional(),
})
export type StoreData = z.infer<typeof storeSchema>

export const CURRENT_STORE_VERSION = 2

export function emptyStore(now: number): StoreData {
  return {
    version: 2,
    accounts: {},
    activeAlias: null,
    rotationIndex: 0,
    lastRotation: now,
  }
}
