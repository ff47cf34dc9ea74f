import { h, setText } from './dom.js'
import { call } from './rpc.js'

/**
 * Runs one user action: the button is disabled meanwhile, the outcome is said
 * next to it (the daemon's own message on failure, e.g. CONFLICT for the last
 * enabled account), and live events redraw the rest.
 */
export async function withBusy(button, say, fn, onError) {
  button.disabled = true
  say('working…')
  try {
    const done = await fn()
    say(done ?? 'done', 'good')
  } catch (err) {
    say(err?.message ?? String(err), 'error')
    onError?.(err)
  } finally {
    button.disabled = false
  }
}

/** Puts each {path, message} the daemon returned under its field; clears the others. */
export function showFieldErrors(errs, err) {
  for (const el of Object.values(errs)) setText(el, '')
  for (const f of err?.fields ?? []) {
    const key = String(f.path).split('.')[0]
    const el = Object.hasOwn(errs, key) ? errs[key] : undefined
    if (el) setText(el, f.message)
  }
}

/** The remove confirmation: a modal dialog that names the alias; Cancel is the default. */
export function confirmRemoveDialog(onRemoved) {
  const text = h('p', { id: 'remove-text' })
  const error = h('p', { class: 'error', role: 'alert' })
  const cancel = h('button', { type: 'button', value: 'cancel', autofocus: true }, 'Cancel')
  const confirm = h('button', { type: 'button', class: 'danger' }, 'Remove')
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'remove-title', 'aria-describedby': 'remove-text' },
    h('h2', { id: 'remove-title' }, 'Remove account'),
    text,
    error,
    h('div', { class: 'row' }, cancel, confirm),
  )
  document.body.append(dialog)
  let current
  let opener
  cancel.addEventListener('click', () => dialog.close())
  dialog.addEventListener('close', () => opener?.isConnected && opener.focus())
  confirm.addEventListener('click', async () => {
    confirm.disabled = true
    try {
      await call('accounts.remove', { alias: current })
      dialog.close()
      onRemoved(current)
    } catch (err) {
      setText(error, err.message)
    } finally {
      confirm.disabled = false
    }
  })
  return (alias, from) => {
    current = alias
    opener = from
    setText(text, `Remove ${alias}? Its tokens are deleted from the store; sign in again to add it back.`)
    setText(confirm, `Remove ${alias}`)
    setText(error, '')
    dialog.showModal()
    cancel.focus()
  }
}
