import { fill, h, isEditing, setText, trackDirty, uid } from './dom.js'
import { dateTime, healthClass, healthLabel, maskEmail } from './format.js'
import { limitsBlock } from './limits.js'
import { call } from './rpc.js'
import { showFieldErrors, withBusy } from './actions.js'
import { sparkline } from './usage.js'

const PIN_TTLS = [
  ['30 min', 30 * 60_000],
  ['1 hour', 60 * 60_000],
  ['2 hours', 2 * 60 * 60_000],
  ['24 hours', 24 * 60 * 60_000],
]

/**
 * One account's card: built once per alias and patched on every update, so a
 * live event never throws away what the user is typing or where focus is.
 */
export function accountCard(alias, ui) {
  const id = uid('acct')
  const title = h('h3', { id: `${id}-h` }, alias)
  const health = h('span', { class: 'badge' })
  const active = h('span', { class: 'badge h-ok', hidden: true }, 'active')
  const pinned = h('span', { class: 'badge h-warn', hidden: true }, 'pinned')
  const plan = h('span', { class: 'badge muted' })
  const reason = h('p', { class: 'note', hidden: true })
  const d = {
    email: h('dd'),
    until: h('dd'),
    expires: h('dd'),
    refreshed: h('dd'),
    usage: h('dd'),
    tags: h('dd'),
    weight: h('dd'),
    notes: h('dd'),
  }
  const details = h(
    'dl',
    { class: 'details' },
    ...[
      ['Email', d.email],
      ['Health until', d.until],
      ['Token expires', d.expires],
      ['Last refresh', d.refreshed],
      ['Requests', d.usage],
      ['Tags', d.tags],
      ['Weight', d.weight],
      ['Notes', d.notes],
    ].flatMap(([k, v]) => [h('dt', {}, k), v]),
  )
  const limits = limitsBlock(alias)
  const spark = h('div', { class: 'usage-hook' })
  const message = h('p', { class: 'note', role: 'status', 'aria-live': 'polite', dataset: { message: alias } })
  const say = (text, kind = 'note') => {
    message.className = kind
    setText(message, text)
  }

  const enable = h('button', { type: 'button' })
  enable.addEventListener('click', () =>
    withBusy(enable, say, async () => {
      const on = enable.dataset.enabled !== 'true'
      await call('accounts.setEnabled', { alias, enabled: on })
      return `${alias} ${on ? 'enabled' : 'disabled'}`
    }),
  )
  const ttl = h(
    'select',
    { 'aria-label': `Pin ${alias} for` },
    ...PIN_TTLS.map(([label, ms]) => h('option', { value: String(ms) }, label)),
  )
  const pin = h('button', { type: 'button' }, 'Pin')
  pin.addEventListener('click', () =>
    withBusy(pin, say, async () => {
      await call('rotation.force', { alias, ttlMs: Number(ttl.value) })
      return `every request now goes to ${alias}`
    }),
  )
  const refreshTokens = h('button', { type: 'button' }, 'Refresh tokens')
  refreshTokens.addEventListener('click', () =>
    withBusy(refreshTokens, say, async () => {
      const { results } = await call('accounts.refresh', { alias })
      const r = results.find((x) => x.alias === alias)
      if (r && !r.ok) throw new Error(r.error ?? 'refresh failed')
      return 'tokens refreshed'
    }),
  )
  const refreshLimits = h('button', { type: 'button' }, 'Refresh limits')
  refreshLimits.addEventListener('click', () =>
    withBusy(refreshLimits, say, async () => {
      await call('limits.refresh', { alias })
      return 'limits probe queued'
    }),
  )
  const useCodex = h('button', { type: 'button' }, 'Use in Codex')
  useCodex.addEventListener('click', () =>
    withBusy(useCodex, say, async () => {
      const r = await call('codex.use', { alias })
      return `Codex now uses ${alias} (${r.path})`
    }),
  )
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove…')
  remove.addEventListener('click', () => ui.confirmRemove(alias, remove))

  const tags = h('input', { id: `${id}-tags`, name: 'tags', autocomplete: 'off' })
  // No min/max here: the daemon validates, and its field errors are what the user sees.
  const weight = h('input', { id: `${id}-weight`, name: 'weight', type: 'number', step: 'any', inputmode: 'decimal' })
  const notes = h('textarea', { id: `${id}-notes`, name: 'notes', rows: '2' })
  const errs = {
    tags: h('p', { class: 'field-error', id: `${id}-tags-e` }),
    weight: h('p', { class: 'field-error', id: `${id}-weight-e` }),
    notes: h('p', { class: 'field-error', id: `${id}-notes-e` }),
  }
  tags.setAttribute('aria-describedby', `${id}-tags-e`)
  weight.setAttribute('aria-describedby', `${id}-weight-e`)
  notes.setAttribute('aria-describedby', `${id}-notes-e`)
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save')
  const form = trackDirty(
    h(
      'form',
      { class: 'stack', 'aria-label': `Edit ${alias}`, novalidate: true },
      h('div', { class: 'field' }, h('label', { for: tags.id }, 'Tags (comma separated)'), tags, errs.tags),
      h(
        'div',
        { class: 'field' },
        h('label', { for: weight.id }, 'Weight (0.01–1, empty for none)'),
        weight,
        errs.weight,
      ),
      h('div', { class: 'field' }, h('label', { for: notes.id }, 'Notes'), notes, errs.notes),
      h('div', { class: 'row' }, save),
    ),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const params = {
      alias,
      tags: tags.value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      notes: notes.value,
      weight: weight.value.trim() === '' ? null : Number(weight.value),
    }
    void withBusy(
      save,
      say,
      async () => {
        await call('accounts.update', params)
        form.dataset.dirty = 'false'
        return 'saved'
      },
      (err) => showFieldErrors(errs, err),
    )
  })
  const edit = h('details', { class: 'edit' }, h('summary', {}, 'Edit tags, notes, weight'), form)

  const el = h(
    'article',
    { class: 'card', 'aria-labelledby': title.id, dataset: { alias } },
    h('div', { class: 'card-head' }, title, h('div', { class: 'badges' }, active, pinned, health, plan)),
    reason,
    details,
    limits.el,
    spark,
    h('div', { class: 'row' }, enable, h('span', { class: 'row' }, ttl, pin)),
    h('div', { class: 'row' }, refreshTokens, refreshLimits, useCodex, remove),
    edit,
    message,
  )

  return {
    el,
    update(view, ctx) {
      el.dataset.active = String(ctx.activeAlias === alias)
      active.hidden = ctx.activeAlias !== alias
      pinned.hidden = !(ctx.force?.active && ctx.force.alias === alias)
      setText(health, healthLabel(view.health))
      health.className = `badge ${healthClass(view.health)}`
      setText(plan, view.planType ?? 'plan ?')
      reason.hidden = !view.reason
      setText(reason, view.reason ?? '')
      setText(d.email, ctx.showEmails ? (view.email ?? '–') : maskEmail(view.email))
      if (view.until) {
        d.until.dataset.until = String(view.until)
        d.until.dataset.prefix = ''
      } else {
        delete d.until.dataset.until
        setText(d.until, '–')
      }
      if (view.expiresAt) d.expires.dataset.relative = String(view.expiresAt)
      else setText(d.expires, '–')
      setText(d.refreshed, dateTime(view.lastRefresh))
      setText(d.usage, String(view.usageCount ?? 0))
      setText(d.tags, view.tags?.length ? view.tags.join(', ') : '–')
      setText(d.weight, view.weight ?? '–')
      setText(d.notes, view.notes || '–')
      enable.dataset.enabled = String(view.enabled)
      setText(enable, view.enabled ? 'Disable' : 'Enable')
      limits.update(view.limits, ctx.thresholds)
      if (ctx.usage) fill(spark, sparkline(alias, ctx.usage))
      if (!isEditing(form)) {
        tags.value = (view.tags ?? []).join(', ')
        notes.value = view.notes ?? ''
        weight.value = view.weight === undefined || view.weight === null ? '' : String(view.weight)
      }
    },
  }
}
