import { fill, h } from './dom.js'

const MAX_EVENTS = 50

/** The live log: the daemon's recent (already redacted) lines from logs.tail, plus events as they arrive. */
export function logPanel(root) {
  const list = h('ol', { class: 'log', tabindex: '0', 'aria-label': 'Recent daemon log lines and events' })
  fill(root, list)
  let lines = []
  const events = []
  const render = () => {
    const rows = [
      ...lines.map((l) => ({ at: Date.parse(l.timestamp) || 0, level: l.level, text: l.message, alias: l.alias })),
      ...events,
    ].sort((a, b) => a.at - b.at)
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8
    fill(
      list,
      ...rows
        .slice(-300)
        .map((r) =>
          h(
            'li',
            { class: `lv-${r.level}` },
            `${new Date(r.at).toLocaleTimeString()} ${r.level.padEnd(5)} ${r.text}${r.alias ? ` (${r.alias})` : ''}`,
          ),
        ),
    )
    if (stick) list.scrollTop = list.scrollHeight
  }
  return {
    setLines(next) {
      lines = next
      render()
    },
    addEvent(e) {
      const { type, at, alias, ...rest } = e
      const extra = Object.entries(rest)
        .filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
      events.push({ at, level: 'event', text: `${type}${extra ? ` ${extra}` : ''}`, alias })
      if (events.length > MAX_EVENTS) events.shift()
      render()
    },
  }
}
