import { fill, h, isEditing, setText, trackDirty } from './dom.js'
import { call } from './rpc.js'
import { showFieldErrors, withBusy } from './actions.js'

const STRATEGIES = ['round-robin', 'least-used', 'random', 'weighted-round-robin', 'sticky', 'use-up']
const PRESETS = ['balanced', 'conservative', 'aggressive', 'custom']

function sayer(el) {
  return (text, kind = 'note') => {
    el.className = kind
    setText(el, text)
  }
}

/** daemon.status: version, uptime, strategy, force, store path, encrypted. */
export function statusPanel(root) {
  const cells = new Map()
  const item = (key, label, wide = false) => {
    const dd = h('dd')
    cells.set(key, dd)
    return h('div', { class: wide ? 'span-all' : undefined }, h('dt', {}, label), dd)
  }
  fill(
    root,
    item('version', 'Version'),
    item('uptime', 'Uptime'),
    item('strategy', 'Strategy'),
    item('force', 'Force'),
    item('accounts', 'Accounts'),
    item('encrypted', 'Encrypted store'),
    item('store', 'Store', true),
  )
  return (s) => {
    setText(cells.get('version'), `${s.version} (protocol ${s.protocolVersion})`)
    const up = cells.get('uptime')
    up.dataset.since = String(s.startedAt)
    setText(cells.get('strategy'), s.strategy)
    const force = cells.get('force')
    if (s.force?.active) {
      force.dataset.until = String(s.force.until ?? '')
      force.dataset.prefix = `${s.force.alias}, `
    } else {
      delete force.dataset.until
      setText(force, 'off')
    }
    setText(cells.get('accounts'), String(s.accountCount))
    setText(cells.get('encrypted'), s.encrypted ? 'yes' : 'no')
    setText(cells.get('store'), s.storePath)
  }
}

/** rotation.get / setStrategy / clearForce, and the order token.get would try. */
export function rotationPanel(root) {
  const select = h('select', { id: 'strategy' }, ...STRATEGIES.map((s) => h('option', { value: s }, s)))
  const msg = h('p', { class: 'note', role: 'status' })
  const say = sayer(msg)
  select.addEventListener('change', () =>
    withBusy(select, say, async () => {
      const r = await call('rotation.setStrategy', { strategy: select.value })
      return `strategy: ${r.strategy}`
    }),
  )
  const force = h('p', { class: 'note' })
  const clear = h('button', { type: 'button', hidden: true }, 'Clear pin')
  clear.addEventListener('click', () =>
    withBusy(clear, say, async () => {
      await call('rotation.clearForce', {})
      return 'pin cleared'
    }),
  )
  const order = h('ol', { class: 'order', 'aria-label': 'Order of accounts for the next request' })
  fill(
    root,
    h(
      'div',
      { class: 'stack' },
      h('div', { class: 'field' }, h('label', { for: 'strategy' }, 'Strategy'), select),
      h('div', { class: 'row' }, force, clear),
      h('div', {}, h('span', { class: 'label' }, 'Next request tries'), order),
      msg,
    ),
  )
  return (r) => {
    if (document.activeElement !== select) select.value = r.strategy
    clear.hidden = !r.force?.active
    if (r.force?.active) {
      force.dataset.until = String(r.force.until ?? '')
      force.dataset.prefix = `Pinned to ${r.force.alias} for `
    } else {
      delete force.dataset.until
      setText(force, 'No pin: the strategy chooses.')
    }
    fill(
      order,
      ...r.order.map((o) =>
        h(
          'li',
          {},
          o.alias,
          o.health === 'ok' && !o.reason
            ? o.tier && o.tier !== 'normal'
              ? ` (${o.tier})`
              : ''
            : ` — ${o.reason ?? o.health}`,
        ),
      ),
    )
  }
}

/** Presets and thresholds, with the daemon's field errors shown under each field. */
export function settingsPanel(root) {
  const preset = h('select', { id: 'preset' }, ...PRESETS.map((p) => h('option', { value: p }, p)))
  const apply = h('button', { type: 'button' }, 'Apply preset')
  // A chosen but not yet applied preset survives live updates.
  preset.addEventListener('change', () => (preset.dataset.dirty = 'true'))
  const low = h('input', {
    id: 'lowThreshold',
    name: 'lowThreshold',
    type: 'number',
    step: '1',
    'aria-describedby': 'lowThreshold-e',
  })
  const critical = h('input', {
    id: 'criticalThreshold',
    name: 'criticalThreshold',
    type: 'number',
    step: '1',
    'aria-describedby': 'criticalThreshold-e',
  })
  const alwaysOn = h('input', { id: 'dashboardAlwaysOn', type: 'checkbox' })
  const errs = {
    lowThreshold: h('p', { class: 'field-error', id: 'lowThreshold-e' }),
    criticalThreshold: h('p', { class: 'field-error', id: 'criticalThreshold-e' }),
  }
  const msg = h('p', { class: 'note', role: 'status' })
  const say = sayer(msg)
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save thresholds')
  const form = trackDirty(
    h(
      'form',
      { class: 'stack', 'aria-label': 'Thresholds', novalidate: true },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'lowThreshold' }, 'Low threshold (% remaining)'),
        low,
        errs.lowThreshold,
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'criticalThreshold' }, 'Critical threshold (% remaining)'),
        critical,
        errs.criticalThreshold,
      ),
      h('label', { class: 'check', for: 'dashboardAlwaysOn' }, alwaysOn, 'Start the dashboard with the daemon'),
      h('div', { class: 'row' }, save),
    ),
  )
  apply.addEventListener('click', () =>
    withBusy(apply, say, async () => {
      const s = await call('settings.applyPreset', { preset: preset.value })
      form.dataset.dirty = 'false'
      preset.dataset.dirty = 'false'
      return `preset ${s.preset}: low ${s.lowThreshold}%, critical ${s.criticalThreshold}%`
    }),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const patch = {
      lowThreshold: low.value === '' ? undefined : Number(low.value),
      criticalThreshold: critical.value === '' ? undefined : Number(critical.value),
      dashboardAlwaysOn: alwaysOn.checked,
    }
    void withBusy(
      save,
      say,
      async () => {
        showFieldErrors(errs, undefined)
        await call('settings.update', patch)
        form.dataset.dirty = 'false'
        return 'saved'
      },
      (err) => showFieldErrors(errs, err),
    )
  })
  fill(
    root,
    h(
      'div',
      { class: 'stack' },
      h('div', { class: 'field' }, h('label', { for: 'preset' }, 'Preset'), h('div', { class: 'row' }, preset, apply)),
      form,
      msg,
    ),
  )
  return (s) => {
    if (!isEditing(preset)) preset.value = s.preset
    if (!isEditing(form)) {
      low.value = String(s.lowThreshold)
      critical.value = String(s.criticalThreshold)
      alwaysOn.checked = Boolean(s.dashboardAlwaysOn)
    }
  }
}
