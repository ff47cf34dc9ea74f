import type { Account } from '../store/schema.js'
import type { ParsedLimits, ParsedWindow } from './headers.js'

type StoredWindow = NonNullable<NonNullable<Account['rateLimits']>['fiveHour']>

function stored(w: ParsedWindow, now: number): StoredWindow {
  // A whole new window: limit/remaining from an older probe would outrank usedPercent in the view.
  const out: StoredWindow = { updatedAt: now }
  if (w.windowMinutes !== undefined) out.windowMinutes = w.windowMinutes
  if (w.usedPercent !== undefined) out.usedPercent = w.usedPercent
  if (w.resetAt !== undefined) out.resetAt = w.resetAt
  return out
}

/** Writes what the headers said into the account; windows they did not mention are kept, as are credits. */
export function recordLimits(acc: Account, parsed: ParsedLimits, now: number): void {
  const rl = { ...(acc.rateLimits ?? {}) }
  if (parsed.fiveHour) rl.fiveHour = stored(parsed.fiveHour, now)
  if (parsed.weekly) rl.weekly = stored(parsed.weekly, now)
  if (parsed.credits) rl.credits = { ...(rl.credits ?? {}), ...parsed.credits }
  acc.rateLimits = rl
  acc.lastLimitProbeAt = now
}

function usedUp(w: StoredWindow): boolean {
  return (w.usedPercent ?? 0) >= 100 || (w.limit !== undefined && w.remaining !== undefined && w.remaining <= 0)
}

/**
 * The latest reset among windows that are used up (≥ 100 %) and not yet reset:
 * the time the account's usage limit really lifts.
 */
export function blockingResetAt(acc: Account, now: number): number | undefined {
  const times = [acc.rateLimits?.fiveHour, acc.rateLimits?.weekly]
    .filter((w): w is StoredWindow => Boolean(w && usedUp(w) && w.resetAt !== undefined && w.resetAt > now))
    .map((w) => w.resetAt as number)
  return times.length ? Math.max(...times) : undefined
}
