/**
 * Reads the backend's `x-codex-*` rate-limit headers. Windows are classified
 * by their length, never by primary/secondary: which slot holds the 5 h and
 * which the weekly window has changed before (docs/architecture.md#rate-limits).
 */

/** A window up to this long (minutes) is the short one; anything longer is weekly. */
export const SHORT_WINDOW_MAX_MINUTES = 6 * 60

export interface ParsedWindow {
  windowMinutes?: number
  usedPercent?: number
  /** Epoch ms. */
  resetAt?: number
}

export interface ParsedCredits {
  hasCredits?: boolean
  unlimited?: boolean
  balance?: string
}

export interface ParsedLimits {
  fiveHour?: ParsedWindow
  weekly?: ParsedWindow
  credits?: ParsedCredits
}

const PREFIX = 'x-codex-'

/** Header names arrive in whatever case the client kept; look them up lower-cased. */
function codexHeaders(headers: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase()
    if (key.startsWith(PREFIX)) out.set(key.slice(PREFIX.length), v.trim())
  }
  return out
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined
  const s = v.toLowerCase()
  return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : undefined
}

/** Epoch seconds as sent; a value that is clearly already in ms is taken as ms. */
export function epochToMs(v: number): number {
  return v > 1e11 ? v : v * 1000
}

function slot(h: Map<string, string>, name: 'primary' | 'secondary', now: number): ParsedWindow | undefined {
  const usedPercent = num(h.get(`${name}-used-percent`))
  const windowMinutes = num(h.get(`${name}-window-minutes`))
  const resetAtRaw = num(h.get(`${name}-reset-at`))
  const resetAfter = num(h.get(`${name}-reset-after-seconds`))
  const resetAt =
    resetAtRaw !== undefined ? epochToMs(resetAtRaw) : resetAfter !== undefined ? now + resetAfter * 1000 : undefined
  if (usedPercent === undefined && windowMinutes === undefined && resetAt === undefined) return undefined
  const w: ParsedWindow = {}
  if (windowMinutes !== undefined) w.windowMinutes = windowMinutes
  if (usedPercent !== undefined) w.usedPercent = Math.max(0, Math.min(100, usedPercent))
  if (resetAt !== undefined) w.resetAt = resetAt
  return w
}

/** Two windows landing in the same class: keep the one that constrains more. */
function tighter(a: ParsedWindow | undefined, b: ParsedWindow): ParsedWindow {
  if (!a) return b
  return (b.usedPercent ?? -1) > (a.usedPercent ?? -1) ? b : a
}

/**
 * Files a window under its class by length. Only a window without a length is
 * placed by its slot (`fallback`): there is nothing better to go on. Shared by
 * the headers and the usage endpoint so both classify alike.
 */
export function placeWindow(out: ParsedLimits, w: ParsedWindow, fallback: 'fiveHour' | 'weekly'): void {
  const cls =
    w.windowMinutes === undefined ? fallback : w.windowMinutes <= SHORT_WINDOW_MAX_MINUTES ? 'fiveHour' : 'weekly'
  out[cls] = tighter(out[cls], w)
}

/** Everything the headers say about this account's limits; undefined when they say nothing. */
export function parseLimitHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  now: number,
): ParsedLimits | undefined {
  if (!headers) return undefined
  const h = codexHeaders(headers)
  if (h.size === 0) return undefined
  const out: ParsedLimits = {}
  for (const [name, fallback] of [
    ['primary', 'fiveHour'],
    ['secondary', 'weekly'],
  ] as const) {
    const w = slot(h, name, now)
    if (w) placeWindow(out, w, fallback)
  }
  const credits: ParsedCredits = {}
  const hasCredits = bool(h.get('credits-has-credits'))
  const unlimited = bool(h.get('credits-unlimited'))
  const balance = h.get('credits-balance')
  if (hasCredits !== undefined) credits.hasCredits = hasCredits
  if (unlimited !== undefined) credits.unlimited = unlimited
  if (balance !== undefined && balance !== '') credits.balance = balance
  if (Object.keys(credits).length) out.credits = credits
  return out.fiveHour || out.weekly || out.credits ? out : undefined
}

/** Retry-After as delta-seconds or an HTTP date; epoch ms, or undefined. */
export function retryAfterMs(headers: Readonly<Record<string, string>> | undefined, now: number): number | undefined {
  if (!headers) return undefined
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')
  if (!entry) return undefined
  const raw = entry[1].trim()
  if (/^\d+(\.\d+)?$/.test(raw)) return now + Number(raw) * 1000
  const date = Date.parse(raw)
  return Number.isFinite(date) ? date : undefined
}
