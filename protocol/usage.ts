import * as z from 'zod'
import type { LimitsView } from './schemas.js'

/** Usage history shapes: what token.report may carry and what usage.get answers. */

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

/**
 * Token counts of one answer, from the `response.completed` event's `response.usage`
 * (input_tokens, output_tokens, input_tokens_details.cached_tokens,
 * output_tokens_details.reasoning_tokens).
 */
export const reportUsage = z
  .object({
    inputTokens: count,
    outputTokens: count,
    cachedTokens: count.optional(),
    reasoningTokens: count.optional(),
  })
  .strict()
export type ReportUsage = z.infer<typeof reportUsage>

export const USAGE_BUCKETS = ['hour', 'day'] as const
export type UsageBucketSize = (typeof USAGE_BUCKETS)[number]

/** Sums over a span: requests, tokens by kind, answers by status class, failovers. */
export interface UsageTotals {
  requests: number
  inputTokens: number
  outputTokens: number
  cachedTokens: number
  reasoningTokens: number
  /** Answers by status class. `other` is every status outside 2xx, 429, 401 and 5xx. */
  status: { '2xx': number; '429': number; '401': number; '5xx': number; other: number }
  /** Answers after which the client moved on to another account. */
  failovers: number
}

export interface UsageBucket extends UsageTotals {
  /** Epoch ms of the bucket's start (UTC hour or UTC day). */
  start: number
  /** 1 for an hour bucket, 24 for a day bucket (hours older than the hourly retention are kept as days). */
  hours: number
  /** Used percent of the 5 h / weekly window as last seen in this bucket (from the limit headers). */
  fiveHourUsedPercent?: number
  weeklyUsedPercent?: number
}

/**
 * When an account (or the pool) comes back and, at the pace of the last hours, when it
 * runs out. `basis` says in words what the estimate rests on (or why there is none).
 */
export interface AccountRunway {
  /** Epoch ms when the current 5 h / weekly windows reset, when known. */
  fiveHourResetAt?: number
  weeklyResetAt?: number
  /** Percent of the binding (lowest) window still left, when known. */
  remainingPercent?: number
  /** Observed burn of the binding window in percent per hour over the last hours. */
  burnPercentPerHour?: number
  /** Epoch ms when the binding window is used up at this pace, unless it resets first. */
  dryAt?: number
  basis: string
}

export interface PoolRunway {
  /** Accounts that can serve now. */
  servable: number
  /** Epoch ms when every account is limited at this pace; absent when no estimate can be made. */
  dryAt?: number
  /** The soonest time a limited account comes back, when any is limited. */
  nextResetAt?: number
  basis: string
}

export interface UsageAccount {
  alias: string
  totals: UsageTotals
  buckets: UsageBucket[]
  limits: LimitsView
  runway: AccountRunway
}

export interface UsageResult {
  now: number
  since: number
  bucket: UsageBucketSize
  /**
   * Set when the answer would hold more buckets than fit one frame: each account keeps its
   * most recent ones; totals still cover the whole span. Ask by day, or for one alias.
   */
  bucketsTruncated?: true
  accounts: UsageAccount[]
  pool: { totals: UsageTotals; runway: PoolRunway }
}
