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
  svg.setAttribute('aria-label', `${alias}: ${total} requests over the last ${series.length} buckets`)
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline')
  line.setAttribute('points', points)
  line.setAttribute('fill', 'none')
  line.setAttribute('stroke', 'currentColor')
  line.setAttribute('stroke-width', '2')
  line.setAttribute('vector-effect', 'non-scaling-stroke')
  svg.append(line)
  return [h('span', { class: 'label' }, 'Requests, history'), svg]
}

/** Requests per bucket for one alias, whatever the exact usage.get layout (accounts as a list or a map). */
function seriesFor(alias, usage) {
  const accounts = usage?.accounts
  const entry = Array.isArray(accounts)
    ? accounts.find((a) => a?.alias === alias)
    : accounts && Object.hasOwn(accounts, alias)
      ? accounts[alias]
      : undefined
  const buckets = entry?.buckets
  if (!Array.isArray(buckets)) return undefined
  return buckets.map((b) => (typeof b?.requests === 'number' ? b.requests : 0))
}
