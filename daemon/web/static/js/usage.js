import { h } from './dom.js'

/**
 * History sparklines from `usage.get` (present only when the daemon has usage
 * history). The page asks once per refresh; a daemon without the method
 * answers METHOD_NOT_FOUND and this renders nothing: no placeholder data.
 */
export function sparkline(alias, usage) {
  const series = seriesFor(alias, usage)
  if (!series || series.length < 2) return []
  const max = Math.max(1, ...series)
  const w = 100
  const step = w / (series.length - 1)
  const points = series.map((v, i) => `${(i * step).toFixed(1)},${(30 - (v / max) * 28).toFixed(1)}`).join(' ')
  const total = series.reduce((a, b) => a + b, 0)
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 100 32')
  svg.setAttribute('preserveAspectRatio', 'none')
  svg.setAttribute('class', 'spark')
  svg.setAttribute('role', 'img')
  const span = `${series.length} ${usage.bucket === 'day' ? 'days' : 'hours'}`
  svg.setAttribute('aria-label', `${alias}: ${total} requests over the last ${span}`)
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline')
  line.setAttribute('points', points)
  line.setAttribute('fill', 'none')
  line.setAttribute('stroke', 'currentColor')
  line.setAttribute('stroke-width', '2')
  line.setAttribute('vector-effect', 'non-scaling-stroke')
  svg.append(line)
  const runway = runwayText(alias, usage)
  return [
    h('span', { class: 'label' }, `Requests per ${usage.bucket === 'day' ? 'day' : 'hour'}, last ${span}`),
    svg,
    runway ? h('p', { class: 'note' }, runway) : null,
  ]
}

const HOUR = 3_600_000

/**
 * Requests per bucket for one alias, oldest first, with the buckets the
 * daemon left out (no traffic) as zeros, so the line's x axis is time.
 */
function seriesFor(alias, usage) {
  const entry = Array.isArray(usage?.accounts) ? usage.accounts.find((a) => a?.alias === alias) : undefined
  if (!entry || !Array.isArray(entry.buckets)) return undefined
  const step = (usage.bucket === 'day' ? 24 : 1) * HOUR
  const since = Number(usage.since)
  const now = Number(usage.now)
  if (!(now > since) || (now - since) / step > 2000) return undefined
  const first = Math.floor(since / step) * step
  const series = new Array(Math.ceil((now - first) / step)).fill(0)
  for (const b of entry.buckets) {
    const i = Math.floor((Number(b?.start) - first) / step)
    if (i >= 0 && i < series.length && typeof b.requests === 'number') series[i] += b.requests
  }
  return series
}

/** What the daemon estimates for an account's limits at the recent pace, in its own words. */
export function runwayText(alias, usage) {
  const entry = Array.isArray(usage?.accounts) ? usage.accounts.find((a) => a?.alias === alias) : undefined
  return typeof entry?.runway?.basis === 'string' ? entry.runway.basis : ''
}
