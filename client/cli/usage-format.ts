/** Usage history for people (tables, sparklines, runway words) and for spreadsheets (CSV). */
import type { LimitWindowView } from '../../protocol/schemas.js'
import type { AccountRunway, PoolRunway, UsageAccount, UsageBucket, UsageResult } from '../../protocol/usage.js'
import { table, when } from './output.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const BARS = '▁▂▃▄▅▆▇█'

/** `n` values as bars scaled to the largest; a zero is a space-like lowest bar only when something else is not. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values)
  return values
    .map((v) => (max === 0 || v === 0 ? (max === 0 ? BARS[0] : ' ') : BARS[Math.min(7, Math.floor((v / max) * 7.999))]))
    .join('')
}

/** Requests per slot over the `slots` slots of `size` ms that end with the current one. */
export function series(buckets: readonly UsageBucket[], now: number, slots: number, size: number): number[] {
  const end = Math.floor(now / size) * size
  const start = end - (slots - 1) * size
  const out = new Array<number>(slots).fill(0)
  for (const b of buckets) {
    const i = Math.floor((Math.floor(b.start / size) * size - start) / size)
    if (i >= 0 && i < slots) out[i] = (out[i] ?? 0) + b.requests
  }
  return out
}

export function compact(n: number): string {
  if (n < 10_000) return String(n)
  if (n < 10_000_000) return `${Math.round(n / 1000)}k`
  return `${Math.round(n / 1_000_000)}M`
}

/** "2 h 10 m", "45 m", "3 d 4 h". */
export function span(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000))
  if (m < 60) return `${m} m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ${m % 60} m`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

function left(w: LimitWindowView | undefined, now: number): string {
  if (w?.remainingPercent === undefined) return '-'
  return `${Math.round(w.remainingPercent)}%${w.resetAt ? ` (${when(w.resetAt, now)})` : ''}`
}

export function accountRunwayWords(r: AccountRunway, now: number): string {
  const resets = [
    r.fiveHourResetAt ? `5 h window resets ${when(r.fiveHourResetAt, now)}` : '',
    r.weeklyResetAt ? `weekly window resets ${when(r.weeklyResetAt, now)}` : '',
  ].filter(Boolean)
  const pace = r.dryAt !== undefined ? `runs out in ~${span(r.dryAt - now)} at this rate (${r.basis})` : r.basis
  return [...resets, pace].join('; ')
}

export function poolRunwayWords(r: PoolRunway, now: number): string {
  const back = r.nextResetAt ? `; the next account frees up ${when(r.nextResetAt, now)}` : ''
  if (r.servable === 0 && r.dryAt !== undefined) return `no account can serve now${back}`
  if (r.dryAt !== undefined) return `all accounts limited in ~${span(r.dryAt - now)} at this rate (${r.basis})${back}`
  return `no estimate: ${r.basis}${back}`
}

export function usageTable(u: UsageResult): string {
  const rows = [['ALIAS', 'REQUESTS', 'IN', 'OUT', 'CACHED', '429s', 'FAILOVERS', '5H LEFT', 'WEEK LEFT']]
  for (const a of u.accounts) {
    rows.push([
      a.alias,
      String(a.totals.requests),
      compact(a.totals.inputTokens),
      compact(a.totals.outputTokens),
      compact(a.totals.cachedTokens),
      String(a.totals.status['429']),
      String(a.totals.failovers),
      left(a.limits.fiveHour, u.now),
      left(a.limits.weekly, u.now),
    ])
  }
  return table(rows)
}

/** Two sparklines per account: requests per hour over the last 24 h and per day over the last 7 d. */
export function sparklines(accounts: readonly UsageAccount[], now: number): string {
  const rows = [['ALIAS', 'LAST 24 H (per hour)', 'LAST 7 D (per day)']]
  for (const a of accounts) {
    rows.push([a.alias, sparkline(series(a.buckets, now, 24, HOUR)), sparkline(series(a.buckets, now, 7, DAY))])
  }
  return table(rows)
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export const CSV_COLUMNS = [
  'alias',
  'start',
  'hours',
  'requests',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'status_2xx',
  'status_429',
  'status_401',
  'status_5xx',
  'status_other',
  'failovers',
  'five_hour_used_percent',
  'weekly_used_percent',
] as const

export function usageCsv(u: UsageResult): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const a of u.accounts) {
    for (const b of a.buckets) {
      lines.push(
        [
          a.alias,
          new Date(b.start).toISOString(),
          b.hours,
          b.requests,
          b.inputTokens,
          b.outputTokens,
          b.cachedTokens,
          b.reasoningTokens,
          b.status['2xx'],
          b.status['429'],
          b.status['401'],
          b.status['5xx'],
          b.status.other,
          b.failovers,
          b.fiveHourUsedPercent,
          b.weeklyUsedPercent,
        ]
          .map(csvField)
          .join(','),
      )
    }
  }
  return `${lines.join('\r\n')}\r\n`
}
