import { accountCard } from './account-card.js'
import { confirmRemoveDialog, withBusy } from './actions.js'
import { fill, h, setText } from './dom.js'
import { countdown, duration, relative } from './format.js'
import { logPanel } from './logs.js'
import { addPanel } from './add-account.js'
import { rotationPanel, settingsPanel, statusPanel } from './panels.js'
import { batch, call, connectEvents, HttpFailure, METHOD_NOT_FOUND, signInFromFragment } from './rpc.js'

const $ = (id) => document.getElementById(id)

const SIGN_IN_AGAIN =
  'Not signed in: the daemon restarted or this page was opened without its link. Run `opencode-multi-auth dashboard` for a new link.'

const ui = {
  showEmails: false,
  /** Optional methods a daemon may not have; set to false on METHOD_NOT_FOUND and never asked again. */
  optional: new Map([
    ['usage.get', true],
    ['gateway.status', true],
  ]),
  cards: new Map(),
  last: undefined,
}

function banner(text) {
  const el = $('banner')
  el.hidden = !text
  setText(el, text ?? '')
}

let panels
/** Why this page is not signed in, when its link was refused; kept over the generic message. */
let signInProblem
/** Set while the event stream is down; a good answer then does not hide the banner, the stream's return does. */
let streamLost = false

function build() {
  const accountsMsg = h('p', { class: 'note', role: 'status' })
  const say = (text, kind = 'note') => {
    accountsMsg.className = kind
    setText(accountsMsg, text)
  }
  const emails = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Show emails')
  emails.addEventListener('click', () => {
    ui.showEmails = !ui.showEmails
    emails.setAttribute('aria-pressed', String(ui.showEmails))
    if (ui.last) renderAccounts(ui.last)
  })
  const refreshAll = h('button', { type: 'button' }, 'Refresh all tokens')
  refreshAll.addEventListener('click', () =>
    withBusy(refreshAll, say, async () => {
      const { results } = await call('accounts.refresh', {})
      const failed = results.filter((r) => !r.ok)
      if (failed.length) throw new Error(failed.map((r) => `${r.alias}: ${r.error ?? 'failed'}`).join('; '))
      return `refreshed ${results.length} account(s)`
    }),
  )
  const limitsAll = h('button', { type: 'button' }, 'Refresh all limits')
  limitsAll.addEventListener('click', () =>
    withBusy(limitsAll, say, async () => {
      const q = await call('limits.refresh', {})
      return `limits probe queued for ${q.queued.length + (q.running ? 1 : 0)} account(s)`
    }),
  )
  fill($('accounts-actions'), emails, refreshAll, limitsAll)
  $('accounts').before(accountsMsg)
  ui.confirmRemove = confirmRemoveDialog((alias) => say(`removed ${alias}`, 'good'))
  panels = {
    status: statusPanel($('status')),
    rotation: rotationPanel($('rotation')),
    settings: settingsPanel($('settings')),
    logs: logPanel($('logs')),
  }
  addPanel($('add'))
}

function renderAccounts(data) {
  const root = $('accounts')
  const ctx = {
    activeAlias: data.rotation.activeAlias,
    force: data.rotation.force,
    showEmails: ui.showEmails,
    thresholds: { low: data.settings.lowThreshold, critical: data.settings.criticalThreshold },
    usage: data.usage,
  }
  const seen = new Set()
  data.accounts.forEach((view, i) => {
    seen.add(view.alias)
    let card = ui.cards.get(view.alias)
    if (!card) {
      card = accountCard(view.alias, ui)
      ui.cards.set(view.alias, card)
    }
    if (root.children[i] !== card.el) root.insertBefore(card.el, root.children[i] ?? null)
    card.update(view, ctx)
  })
  for (const [alias, card] of ui.cards) {
    if (seen.has(alias)) continue
    card.el.remove()
    ui.cards.delete(alias)
  }
  if (data.accounts.length === 0) {
    if (!root.querySelector('.empty')) root.append(h('p', { class: 'note empty' }, 'No accounts yet: add one below.'))
  } else root.querySelector('.empty')?.remove()
}

function renderGateway(gateway) {
  const root = $('gateway-status')
  if (!gateway) return fill(root)
  fill(
    root,
    h(
      'p',
      { class: 'note' },
      gateway.enabled
        ? `Codex gateway: on at ${gateway.url ?? '?'}, ${gateway.requests} request(s), ${gateway.failovers} failover(s)` +
            (gateway.lastError ? `; last error: ${gateway.lastError.message}` : '')
        : 'Codex gateway: off',
    ),
  )
}

const CALLS = [['daemon.status'], ['accounts.list'], ['rotation.get'], ['settings.get'], ['logs.tail', { lines: 200 }]]

async function load() {
  // usage.get: the last 48 hours, hour by hour, for the sparklines.
  const params = new Map([['usage.get', { bucket: 'hour', since: Date.now() - 48 * 3_600_000 }]])
  const optional = [...ui.optional].filter(([, on]) => on).map(([m]) => [m, params.get(m) ?? {}])
  const answers = await batch([...CALLS, ...optional])
  const [status, accounts, rotation, settings, logs] = answers
  for (const a of [status, accounts, rotation, settings]) if (a.error) throw a.error
  const extra = new Map()
  optional.forEach(([m], i) => {
    const a = answers[CALLS.length + i]
    if (a.error?.code === METHOD_NOT_FOUND) ui.optional.set(m, false)
    else if (a.result) extra.set(m, a.result)
  })
  const data = {
    status: status.result,
    accounts: accounts.result.accounts,
    rotation: rotation.result,
    settings: settings.result,
    usage: extra.get('usage.get'),
    gateway: extra.get('gateway.status'),
  }
  ui.last = data
  signInProblem = undefined
  if (!streamLost) banner('')
  setText($('subtitle'), `Daemon ${data.status.version}, pid ${data.status.pid}, ${data.accounts.length} account(s)`)
  panels.status(data.status)
  panels.rotation(data.rotation)
  panels.settings(data.settings)
  renderAccounts(data)
  renderGateway(data.gateway)
  if (logs.result) panels.logs.setLines(logs.result.lines)
  tick()
}

// One refresh at a time; events that arrive meanwhile cause exactly one more.
let running
let again = false
function refresh() {
  if (running) {
    again = true
    return running
  }
  running = load()
    .catch((err) => {
      if (err instanceof HttpFailure && err.status === 401) banner(signInProblem ?? SIGN_IN_AGAIN)
      else if (err instanceof TypeError) banner('Lost the connection to the daemon; reconnecting…')
      else banner(`Could not read the daemon's state: ${err.message}`)
    })
    .finally(() => {
      running = undefined
      if (again) {
        again = false
        void refresh()
      }
    })
  return running
}

/** The page's one timer: countdowns and ages, once a second. */
function tick() {
  const now = Date.now()
  for (const el of document.querySelectorAll('[data-until]')) {
    setText(el, `${el.dataset.prefix ?? ''}${countdown(Number(el.dataset.until), now)}`)
  }
  for (const el of document.querySelectorAll('[data-relative]')) setText(el, relative(Number(el.dataset.relative), now))
  for (const el of document.querySelectorAll('[data-since]')) setText(el, duration(now - Number(el.dataset.since)))
}

async function main() {
  build()
  try {
    await signInFromFragment()
  } catch (err) {
    signInProblem =
      err instanceof HttpFailure && err.status === 401
        ? 'This sign-in link was used already or has expired. Run `opencode-multi-auth dashboard` for a new one.'
        : `Sign-in failed: ${err.message}`
    banner(signInProblem)
  }
  await refresh()
  connectEvents({
    onEvent(e) {
      panels.logs.addEvent(e)
      void refresh()
    },
    onOpen() {
      streamLost = false
      void refresh()
    },
    onLost() {
      streamLost = true
      banner('Lost the connection to the daemon; reconnecting…')
      // The next answer tells whether the daemon is back with a new secret (sign in again) or still away.
      void refresh()
    },
  })
  setInterval(tick, 1000)
  $('main').setAttribute('aria-busy', 'false')
  performance.mark('oma-interactive')
  document.documentElement.dataset.ready = 'true'
}

void main()
