import type { ParsedParamsOf, ReportResult } from '../../protocol/methods.js'
import type { UsageAccount, UsageBucketSize, UsageResult } from '../../protocol/usage.js'
import { requireAccount } from '../store/lookup.js'
import type { Clock } from '../deps.js'
import { limitsView } from '../limits/view.js'
import { healthOf } from '../health/health.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import {
  addTotals,
  bucketAt,
  cloneBucket,
  DAY_MS,
  emptyTotals,
  HOUR_MS,
  merge,
  toWire,
  type Sample,
  type StoredBucket,
} from './buckets.js'
import type { UsageHistory } from './history.js'
import { accountRunway, poolRunway, type PoolMember } from './runway.js'

export const DEFAULT_SINCE_MS = 7 * DAY_MS
/** An answer's buckets stay well under the 1 MiB frame (a bucket is about 250 bytes of JSON). */
export const MAX_ANSWER_BUCKETS = 3000

/** What a report says about limits, as stored by the intake a moment ago. */
function limitReadings(a: Account): Sample['limits'] {
  const five = a.rateLimits?.fiveHour
  const week = a.rateLimits?.weekly
  const at = Math.max(five?.updatedAt ?? 0, week?.updatedAt ?? 0)
  if (!at) return undefined
  return {
    at,
    fiveHourUsed: five?.usedPercent,
    fiveHourResetAt: five?.resetAt,
    weeklyUsed: week?.usedPercent,
    weeklyResetAt: week?.resetAt,
  }
}

/** usage.get and the intake's side of the history. */
export class UsageService {
  constructor(private readonly deps: { store: AccountStore; history: UsageHistory; clock: Clock }) {}

  /** After the intake answered a report: one sample into the account's current hour. */
  recordReport(p: ParsedParamsOf<'token.report'>, answer: ReportResult): void {
    const acc = this.deps.store.data.accounts[p.alias]
    if (!acc) return
    // A 401 answered with a fresh token is retried on the same account: not a move to another.
    const failover = answer.retry && !(p.status === 401 && answer.health === 'ok')
    this.deps.history.record(p.alias, {
      status: p.status,
      usage: p.usage,
      failover,
      limits: p.headers ? limitReadings(acc) : undefined,
    })
  }

  /** A limits probe read the account's windows: a reading for the runway, not a request. */
  recordProbe(alias: string): void {
    const acc = this.deps.store.data.accounts[alias]
    const limits = acc ? limitReadings(acc) : undefined
    if (limits) this.deps.history.record(alias, { failover: false, limits })
  }

  get(params: ParsedParamsOf<'usage.get'>): UsageResult {
    const data = this.deps.store.data
    const now = this.deps.clock.now()
    const bucket: UsageBucketSize = params.bucket ?? 'hour'
    const since = Math.min(params.since ?? now - DEFAULT_SINCE_MS, now)
    if (params.alias !== undefined) requireAccount(data, params.alias)
    const aliases = params.alias !== undefined ? [params.alias] : Object.keys(data.accounts)
    const pool = emptyTotals()
    const members: PoolMember[] = []
    const accounts: UsageAccount[] = []
    for (const [alias, acc] of Object.entries(data.accounts)) {
      const { hours, days } = this.deps.history.of(alias)
      const limits = limitsView(acc, now)
      const runway = accountRunway(limits, hours, now)
      const h = healthOf(acc, now)
      members.push({ servable: h.health === 'ok', until: h.until, runway })
      if (!aliases.includes(alias)) continue
      const buckets = select(hours, days, since, bucket)
      const totals = emptyTotals()
      for (const b of buckets) addTotals(totals, b)
      addTotals(pool, totals)
      accounts.push({ alias, totals, buckets: buckets.map(toWire), limits, runway })
    }
    const result: UsageResult = {
      now,
      since,
      bucket,
      accounts,
      pool: { totals: pool, runway: poolRunway(members, now) },
    }
    const count = accounts.reduce((s, a) => s + a.buckets.length, 0)
    if (count > MAX_ANSWER_BUCKETS) {
      const each = Math.max(1, Math.floor(MAX_ANSWER_BUCKETS / accounts.length))
      for (const a of accounts) a.buckets = a.buckets.slice(-each)
      result.bucketsTruncated = true
    }
    return result
  }
}

/**
 * The buckets from `since` on. By hour: the hours, and the days that older hours were
 * folded into. By day: every hour added into its UTC day.
 */
function select(
  hours: readonly StoredBucket[],
  days: readonly StoredBucket[],
  since: number,
  size: UsageBucketSize,
): StoredBucket[] {
  const fromHour = Math.floor(since / HOUR_MS) * HOUR_MS
  const fromDay = Math.floor(since / DAY_MS) * DAY_MS
  const oldDays = days.filter((d) => d.start >= fromDay)
  if (size === 'hour') return [...oldDays, ...hours.filter((h) => h.start >= fromHour)]
  const out = oldDays.map(cloneBucket)
  for (const h of hours) {
    if (h.start < fromDay) continue
    merge(bucketAt(out, Math.floor(h.start / DAY_MS) * DAY_MS, 24), h)
  }
  return out
}
