/** Formatting shared by the sections; all times are epoch ms from the daemon. */

export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  const hours = Math.floor(m / 60)
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

/** "in 3m 20s" / "2h 5m ago"; refreshed every second by the page's one ticker. */
export function relative(at, now = Date.now()) {
  if (!at) return '–'
  const d = at - now
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`
}

export function countdown(until, now = Date.now()) {
  if (!until) return '–'
  return until > now ? duration(until - now) : 'now'
}

export function dateTime(at) {
  if (!at) return '–'
  const d = typeof at === 'number' ? new Date(at) : new Date(String(at))
  return Number.isNaN(d.getTime()) ? String(at) : d.toLocaleString()
}

/** u***@example.com: enough to tell accounts apart on a shared screen. */
export function maskEmail(email) {
  if (!email) return '–'
  const at = email.indexOf('@')
  if (at < 1) return '***'
  return `${email[0]}***${email.slice(at)}`
}

const HEALTH_CLASS = new Map([
  ['ok', 'h-ok'],
  ['cooldown', 'h-warn'],
  ['rate_limited', 'h-warn'],
  ['disabled', 'muted'],
])
export function healthClass(health) {
  return HEALTH_CLASS.get(health) ?? 'h-bad'
}

export function healthLabel(health) {
  return String(health).replace(/_/g, ' ')
}

export function percent(n) {
  return typeof n === 'number' ? `${Math.round(n)}%` : '–'
}
