import type { Confidence, LimitsView, LimitWindowView } from '../../protocol/schemas.js'
import type { Account } from '../store/schema.js'

export const FRESH_MS = 5 * 60_000
export const STALE_MS = 60 * 60_000

type StoredWindow = NonNullable<NonNullable<Account['rateLimits']>['fiveHour']>

function windowView(w: StoredWindow | undefined, now: number): LimitWindowView | undefined {
  if (!w) return undefined
  // A window whose reset has passed has started over: nothing is used any more.
  const reset = w.resetAt !== undefined && w.resetAt <= now
  const remaining = reset
    ? 100
    : w.remaining !== undefined && w.limit
      ? (w.remaining / w.limit) * 100
      : w.usedPercent !== undefined
        ? 100 - w.usedPercent
        : undefined
  return {
    windowMinutes: w.windowMinutes,
    usedPercent: remaining === undefined ? undefined : round(100 - remaining),
    remainingPercent: remaining === undefined ? undefined : round(remaining),
    resetAt: reset ? undefined : w.resetAt,
    updatedAt: w.updatedAt,
  }
}

function round(n: number): number {
  return Math.max(0, Math.min(100, Math.round(n * 10) / 10))
}

/** Confidence is computed from timestamps at read time, never stored (the old plugin stored it once). */
export function confidenceOf(a: Account, now: number): { confidence: Confidence; updatedAt?: number } {
  const rl = a.rateLimits
  const times = [rl?.fiveHour?.updatedAt, rl?.weekly?.updatedAt].filter((t): t is number => typeof t === 'number')
  const updatedAt = times.length ? Math.max(...times) : undefined
  if (a.lastLimitErrorAt && (!updatedAt || a.lastLimitErrorAt > updatedAt)) return { confidence: 'error', updatedAt }
  if (updatedAt === undefined) return { confidence: 'unknown' }
  const age = now - updatedAt
  return { confidence: age < FRESH_MS ? 'fresh' : age < STALE_MS ? 'stale' : 'unknown', updatedAt }
}

export function limitsView(a: Account, now: number): LimitsView {
  const { confidence, updatedAt } = confidenceOf(a, now)
  const view: LimitsView = { confidence }
  const five = windowView(a.rateLimits?.fiveHour, now)
  const week = windowView(a.rateLimits?.weekly, now)
  if (five) view.fiveHour = five
  if (week) view.weekly = week
  if (a.rateLimits?.credits) view.credits = { ...a.rateLimits.credits }
  if (updatedAt !== undefined) view.updatedAt = updatedAt
  if (confidence === 'error' && a.limitError) view.error = a.limitError
  return view
}

/** Lowest remaining percent over the known, unexpired windows; undefined when nothing is known. */
export function minRemainingPercent(a: Account, now: number): number | undefined {
  const values = [windowView(a.rateLimits?.fiveHour, now), windowView(a.rateLimits?.weekly, now)]
    .map((w) => w?.remainingPercent)
    .filter((v): v is number => v !== undefined)
  return values.length ? Math.min(...values) : undefined
}
