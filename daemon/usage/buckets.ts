import * as z from 'zod'
import type { ReportUsage, UsageBucket, UsageTotals } from '../../protocol/usage.js'

/** Hourly buckets and what happens to them as they age: pure functions over plain data. */

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS
/** Hours older than this are folded into day buckets. */
export const HOURLY_RETENTION_MS = 14 * DAY_MS
/** Days older than this are dropped. */
export const RETENTION_MS = 90 * DAY_MS

/** A bucket as kept: the wire shape plus the limit readings the runway needs. */
export interface StoredBucket extends UsageBucket {
  fiveHourResetAt?: number
  weeklyResetAt?: number
  /** Epoch ms of the last limit reading in this bucket. */
  limitsAt?: number
}

/** What one token.report adds; a limits probe adds only its readings (`status` absent). */
export interface Sample {
  status?: number
  usage?: ReportUsage
  failover: boolean
  limits?: { at: number; fiveHourUsed?: number; fiveHourResetAt?: number; weeklyUsed?: number; weeklyResetAt?: number }
}

const n = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const opt = z.number().finite().optional()

export const storedBucketSchema = z.object({
  start: z.number().int().min(0),
  hours: z.union([z.literal(1), z.literal(24)]),
  requests: n,
  inputTokens: n,
  outputTokens: n,
  cachedTokens: n,
  reasoningTokens: n,
  status: z.object({ '2xx': n, '429': n, '401': n, '5xx': n, other: n }),
  failovers: n,
  fiveHourUsedPercent: opt,
  weeklyUsedPercent: opt,
  fiveHourResetAt: opt,
  weeklyResetAt: opt,
  limitsAt: opt,
})

export function emptyTotals(): UsageTotals {
  return {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    status: { '2xx': 0, '429': 0, '401': 0, '5xx': 0, other: 0 },
    failovers: 0,
  }
}

export function statusClass(status: number): keyof UsageTotals['status'] {
  if (status >= 200 && status < 300) return '2xx'
  if (status === 429) return '429'
  if (status === 401) return '401'
  if (status >= 500) return '5xx'
  return 'other'
}

export function addTotals(into: UsageTotals, from: UsageTotals): void {
  into.requests += from.requests
  into.inputTokens += from.inputTokens
  into.outputTokens += from.outputTokens
  into.cachedTokens += from.cachedTokens
  into.reasoningTokens += from.reasoningTokens
  into.failovers += from.failovers
  for (const k of Object.keys(into.status) as (keyof UsageTotals['status'])[]) into.status[k] += from.status[k]
}

/** Copies the later bucket's limit readings over the earlier one's: "at the end of the bucket". */
function takeReadings(into: StoredBucket, from: StoredBucket): void {
  if (from.limitsAt === undefined || (into.limitsAt !== undefined && into.limitsAt > from.limitsAt)) return
  into.limitsAt = from.limitsAt
  for (const k of ['fiveHourUsedPercent', 'weeklyUsedPercent', 'fiveHourResetAt', 'weeklyResetAt'] as const) {
    if (from[k] !== undefined) into[k] = from[k]
  }
}

export function newBucket(start: number, hours: 1 | 24): StoredBucket {
  return { start, hours, ...emptyTotals() }
}

export function addSample(b: StoredBucket, s: Sample): void {
  if (s.status !== undefined) {
    b.requests++
    b.status[statusClass(s.status)]++
  }
  if (s.failover) b.failovers++
  if (s.usage) {
    b.inputTokens += s.usage.inputTokens
    b.outputTokens += s.usage.outputTokens
    b.cachedTokens += s.usage.cachedTokens ?? 0
    b.reasoningTokens += s.usage.reasoningTokens ?? 0
  }
  const l = s.limits
  if (
    l &&
    (l.fiveHourUsed !== undefined || l.weeklyUsed !== undefined) &&
    !(b.limitsAt !== undefined && b.limitsAt > l.at)
  ) {
    b.limitsAt = l.at
    if (l.fiveHourUsed !== undefined) b.fiveHourUsedPercent = l.fiveHourUsed
    if (l.fiveHourResetAt !== undefined) b.fiveHourResetAt = l.fiveHourResetAt
    if (l.weeklyUsed !== undefined) b.weeklyUsedPercent = l.weeklyUsed
    if (l.weeklyResetAt !== undefined) b.weeklyResetAt = l.weeklyResetAt
  }
}

/** The bucket for `start` in a list sorted by start, created in order when missing (clocks may step back). */
export function bucketAt(list: StoredBucket[], start: number, hours: 1 | 24): StoredBucket {
  const last = list[list.length - 1]
  if (last && last.start === start) return last
  if (!last || last.start < start) {
    const b = newBucket(start, hours)
    list.push(b)
    return b
  }
  let i = list.length - 1
  while (i >= 0 && (list[i]?.start ?? -Infinity) > start) i--
  const at = list[i]
  if (at && at.start === start) return at
  const b = newBucket(start, hours)
  list.splice(i + 1, 0, b)
  return b
}

export function merge(into: StoredBucket, from: StoredBucket): void {
  addTotals(into, from)
  takeReadings(into, from)
}

/**
 * Ageing: hours older than the hourly retention are added into their day, days older
 * than the retention are dropped. Returns whether anything changed.
 */
export function compact(entry: { hours: StoredBucket[]; days: StoredBucket[] }, now: number): boolean {
  let changed = false
  const hourCut = Math.floor((now - HOURLY_RETENTION_MS) / DAY_MS) * DAY_MS
  let keep = 0
  while (keep < entry.hours.length && (entry.hours[keep]?.start ?? Infinity) < hourCut) keep++
  if (keep > 0) {
    for (const h of entry.hours.slice(0, keep))
      merge(bucketAt(entry.days, Math.floor(h.start / DAY_MS) * DAY_MS, 24), h)
    entry.hours = entry.hours.slice(keep)
    changed = true
  }
  const dayCut = now - RETENTION_MS
  const firstKept = entry.days.findIndex((d) => d.start + DAY_MS > dayCut)
  const drop = firstKept === -1 ? entry.days.length : firstKept
  if (drop > 0) {
    entry.days = entry.days.slice(drop)
    changed = true
  }
  return changed
}

/** The wire form: without the readings only the runway uses. */
export function toWire(b: StoredBucket): UsageBucket {
  const out: UsageBucket = {
    start: b.start,
    hours: b.hours,
    requests: b.requests,
    inputTokens: b.inputTokens,
    outputTokens: b.outputTokens,
    cachedTokens: b.cachedTokens,
    reasoningTokens: b.reasoningTokens,
    status: { ...b.status },
    failovers: b.failovers,
  }
  if (b.fiveHourUsedPercent !== undefined) out.fiveHourUsedPercent = b.fiveHourUsedPercent
  if (b.weeklyUsedPercent !== undefined) out.weeklyUsedPercent = b.weeklyUsedPercent
  return out
}

export function cloneBucket(b: StoredBucket): StoredBucket {
  return { ...b, status: { ...b.status } }
}
