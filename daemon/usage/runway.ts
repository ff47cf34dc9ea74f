import type { LimitsView, LimitWindowView } from '../../protocol/schemas.js'
import type { AccountRunway, PoolRunway } from '../../protocol/usage.js'
import { HOUR_MS, type StoredBucket } from './buckets.js'

/** The burn rate is read from limit readings of this many recent hours. */
export const RUNWAY_LOOKBACK_HOURS = 3
/** Readings closer together than this say nothing about a rate. */
const MIN_SPAN_MS = 15 * 60_000
/** Two readings of one window name the same reset give or take this (reset-after rounds). */
const SAME_WINDOW_MS = 2 * 60_000

type WindowName = 'fiveHour' | 'weekly'
interface Reading {
  at: number
  used: number
  resetAt?: number
}

function binding(limits: LimitsView): { name: WindowName; w: LimitWindowView } | undefined {
  const known = (['fiveHour', 'weekly'] as const)
    .map((name) => ({ name, w: limits[name] }))
    .filter((x): x is { name: WindowName; w: LimitWindowView } => x.w?.remainingPercent !== undefined)
  known.sort((a, b) => (a.w.remainingPercent ?? 0) - (b.w.remainingPercent ?? 0))
  return known[0]
}

function readings(name: WindowName, hours: readonly StoredBucket[], current: LimitWindowView, from: number): Reading[] {
  const out: Reading[] = []
  for (const b of hours) {
    if (b.limitsAt === undefined || b.limitsAt < from) continue
    const used = name === 'fiveHour' ? b.fiveHourUsedPercent : b.weeklyUsedPercent
    if (used === undefined) continue
    out.push({ at: b.limitsAt, used, resetAt: name === 'fiveHour' ? b.fiveHourResetAt : b.weeklyResetAt })
  }
  if (current.usedPercent !== undefined && current.updatedAt !== undefined && current.updatedAt >= from) {
    out.push({ at: current.updatedAt, used: current.usedPercent, resetAt: current.resetAt })
  }
  return out.sort((a, b) => a.at - b.at)
}

/** Percent per hour: the rises between readings of the same window, over the time they span. */
function burnRate(points: Reading[]): number | undefined {
  const first = points[0]
  const last = points[points.length - 1]
  if (points.length < 2 || !first || !last) return undefined
  const span = last.at - first.at
  if (span < MIN_SPAN_MS) return undefined
  let rise = 0
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]
    const b = points[i]
    if (!a || !b) continue
    const same = a.resetAt === undefined || b.resetAt === undefined || Math.abs(a.resetAt - b.resetAt) <= SAME_WINDOW_MS
    // Across a reset the count starts over: only the part after it is burn.
    rise += same ? Math.max(0, b.used - a.used) : b.used
  }
  return (rise / span) * HOUR_MS
}

const WINDOW_WORDS = { fiveHour: '5 h', weekly: 'weekly' } as const

export function accountRunway(limits: LimitsView, hours: readonly StoredBucket[], now: number): AccountRunway {
  const out: AccountRunway = { basis: '' }
  if (limits.fiveHour?.resetAt !== undefined) out.fiveHourResetAt = limits.fiveHour.resetAt
  if (limits.weekly?.resetAt !== undefined) out.weeklyResetAt = limits.weekly.resetAt
  const b = binding(limits)
  if (!b) {
    out.basis = 'no limit readings yet'
    return out
  }
  out.remainingPercent = b.w.remainingPercent
  const rate = burnRate(readings(b.name, hours, b.w, now - RUNWAY_LOOKBACK_HOURS * HOUR_MS))
  if (rate === undefined) {
    out.basis = `too few ${WINDOW_WORDS[b.name]} window readings in the last ${RUNWAY_LOOKBACK_HOURS} h for a rate`
    return out
  }
  out.burnPercentPerHour = Math.round(rate * 10) / 10
  const left = b.w.remainingPercent ?? 0
  if (rate <= 0) {
    out.basis = `no use of the ${WINDOW_WORDS[b.name]} window in the last ${RUNWAY_LOOKBACK_HOURS} h`
    return out
  }
  const dryAt = now + (left / rate) * HOUR_MS
  const words = `${out.burnPercentPerHour} %/h of the ${WINDOW_WORDS[b.name]} window over the last ${RUNWAY_LOOKBACK_HOURS} h, ${left} % left`
  if (b.w.resetAt !== undefined && b.w.resetAt <= dryAt) {
    out.basis = `${words}; it resets before it runs out`
    return out
  }
  out.dryAt = Math.round(dryAt)
  out.basis = words
  return out
}

export interface PoolMember {
  servable: boolean
  /** When a non-servable account frees up by itself. */
  until?: number
  runway: AccountRunway
}

/**
 * The pool runs dry when the accounts that can serve have used what they have left at
 * the pool's pace: the sum of every account's burn (the pool's load moves between them),
 * over the sum of what the servable ones have left. Resets before then are not counted.
 */
export function poolRunway(members: readonly PoolMember[], now: number): PoolRunway {
  const servable = members.filter((m) => m.servable)
  const frees = members
    .filter((m) => !m.servable && m.until !== undefined && m.until > now)
    .map((m) => m.until as number)
  const out: PoolRunway = { servable: servable.length, basis: '' }
  if (frees.length) out.nextResetAt = Math.min(...frees)
  if (members.length === 0) {
    out.basis = 'no accounts'
    return out
  }
  if (servable.length === 0) {
    out.dryAt = now
    out.basis = 'no account can serve now'
    return out
  }
  const burn = members.reduce((s, m) => s + (m.runway.burnPercentPerHour ?? 0), 0)
  const unknown = servable.filter((m) => m.runway.remainingPercent === undefined).length
  if (unknown > 0) {
    out.basis = `${unknown} servable account(s) without limit readings`
    return out
  }
  const left = servable.reduce((s, m) => s + (m.runway.remainingPercent ?? 0), 0)
  if (burn <= 0) {
    out.basis = `no measurable burn in the last ${RUNWAY_LOOKBACK_HOURS} h`
    return out
  }
  out.dryAt = Math.round(now + (left / burn) * HOUR_MS)
  out.basis =
    `the pool used ${Math.round(burn * 10) / 10} %/h (sum over accounts, last ${RUNWAY_LOOKBACK_HOURS} h); ` +
    `${servable.length} servable account(s) have ${Math.round(left)} % left in total; resets not counted`
  return out
}
