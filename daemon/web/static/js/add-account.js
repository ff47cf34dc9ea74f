import { fill, h, setText } from './dom.js'
import { dateTime } from './format.js'
import { call } from './rpc.js'
import { withBusy } from './actions.js'

function sayer(el) {
  return (text, kind = 'note') => {
    el.className = kind
    setText(el, text)
  }
}

/** login.start + login.wait: the sign-in link or device code in the page, completing live. */
export function addPanel(root) {
  const alias = h('input', {
    id: 'add-alias',
    name: 'alias',
    autocomplete: 'off',
    placeholder: 'from the email if empty',
  })
  const browser = h('input', { type: 'radio', name: 'add-method', id: 'add-browser', value: 'browser', checked: true })
  const device = h('input', { type: 'radio', name: 'add-method', id: 'add-device', value: 'device' })
  const start = h('button', { type: 'submit', class: 'primary' }, 'Start sign-in')
  const out = h('div', { class: 'stack', 'aria-live': 'polite' })
  const msg = h('p', { class: 'note', role: 'status' })
  const say = sayer(msg)
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Add an account' },
    h('div', { class: 'field' }, h('label', { for: 'add-alias' }, 'Alias (optional)'), alias),
    h(
      'fieldset',
      { class: 'row' },
      h('legend', { class: 'label' }, 'Sign in with'),
      h('label', { class: 'check', for: 'add-browser' }, browser, 'Browser link'),
      h('label', { class: 'check', for: 'add-device' }, device, 'Device code'),
    ),
    h('div', { class: 'row' }, start),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const params = {
      method: device.checked ? 'device' : 'browser',
      ...(alias.value.trim() ? { alias: alias.value.trim() } : {}),
    }
    void withBusy(start, say, async () => {
      const login = await call('login.start', params)
      const link = h(
        'a',
        { href: login.url, target: '_blank', rel: 'noopener noreferrer', class: 'button' },
        'Open the sign-in page',
      )
      fill(
        out,
        login.userCode
          ? h(
              'p',
              {},
              'Enter this code on the sign-in page: ',
              h('span', { class: 'device-code', id: 'device-code' }, login.userCode),
            )
          : null,
        h('div', { class: 'row' }, link),
        h('p', { class: 'note' }, `Waiting for the sign-in to finish (until ${dateTime(login.expiresAt)})…`),
      )
      say('waiting for sign-in…')
      const view = await waitFor(login.loginId, login.expiresAt)
      fill(out)
      alias.value = ''
      return `added ${view.alias}`
    })
  })
  fill(root, form, out, msg)
}

/** login.wait in slices, so no single HTTP answer is held open for long. */
async function waitFor(loginId, expiresAt) {
  for (;;) {
    try {
      return await call('login.wait', { loginId, timeoutMs: 60_000 })
    } catch (err) {
      // The daemon says data.pending when the slice ended before the sign-in did.
      if (!(err?.data?.pending === true && Date.now() < expiresAt)) throw err
    }
  }
}
