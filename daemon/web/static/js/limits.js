import { h, setText } from './dom.js'
import { percent } from './format.js'

const WINDOWS = [
  ['fiveHour', '5 h window'],
  ['weekly', 'Weekly window'],
]

const CONFIDENCE_CLASS = new Map([
  ['fresh', 'h-ok'],
  ['stale', 'h-warn'],
  ['unknown', 'muted'],
  ['error', 'h-bad'],
])

/** The limit bars of one card, patched in place on every update. */
export function limitsBlock(alias) {
  const confidence = h('span', { class: 'badge' })
  const error = h('p', { class: 'error', hidden: true })
  const rows = WINDOWS.map(([key, label]) => {
    const used = h('span')
    const reset = h('span', { class: 'muted', dataset: {} })
    const fill = h('span')
    const bar = h(
      'div',
      {
        class: 'bar',
        role: 'progressbar',
        'aria-valuemin': '0',
        'aria-valuemax': '100',
        'aria-label': `${alias}: ${label} used`,
      },
      fill,
    )
    const el = h(
      'div',
      { class: 'limit' },
      h('div', { class: 'limit-head' }, h('span', {}, `${label}: `, used), reset),
      bar,
    )
    return { key, el, used, reset, fill, bar }
  })
  const el = h(
    'div',
    { class: 'stack' },
    h('div', { class: 'row' }, h('span', { class: 'label' }, 'Limits'), confidence),
    ...rows.map((r) => r.el),
    error,
  )
  return {
    el,
    update(limits = {}, thresholds = { low: 30, critical: 10 }) {
      const c = limits.confidence ?? 'unknown'
      setText(confidence, `confidence: ${c}`)
      confidence.className = `badge ${CONFIDENCE_CLASS.get(c) ?? 'muted'}`
      for (const r of rows) {
        const w = limits[r.key]
        const usedPct = typeof w?.usedPercent === 'number' ? w.usedPercent : undefined
        setText(r.used, usedPct === undefined ? 'no data' : `${percent(usedPct)} used`)
        const width = usedPct === undefined ? 0 : Math.min(100, Math.max(0, usedPct))
        r.fill.style.width = `${width}%`
        r.bar.setAttribute('aria-valuenow', String(Math.round(width)))
        const remaining = 100 - width
        r.bar.dataset.level =
          usedPct === undefined
            ? ''
            : remaining <= thresholds.critical
              ? 'critical'
              : remaining <= thresholds.low
                ? 'low'
                : ''
        if (w?.resetAt) {
          r.reset.dataset.until = String(w.resetAt)
          r.reset.dataset.prefix = 'resets in '
        } else {
          delete r.reset.dataset.until
          setText(r.reset, '')
        }
      }
      error.hidden = !limits.error
      setText(error, limits.error ?? '')
    },
  }
}
