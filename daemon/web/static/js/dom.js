// A tiny DOM builder: the page has no UI library (see docs/dashboard.md, "Why no framework").

/**
 * h('button', { class: 'primary', onclick: fn }, 'Save') builds an element.
 * Text children become text nodes, so nothing from the daemon is ever parsed as HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value)
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key in el && typeof value !== 'string') el[key] = value
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** Sets text only when it changed (keeps screen readers and selections calm). */
export function setText(el, text) {
  const t = String(text ?? '')
  if (el.textContent !== t) el.textContent = t
}

/** Whether the user is editing inside el: its values must not be overwritten by a live update. */
export function isEditing(el) {
  return el.contains(document.activeElement) || el.dataset.dirty === 'true'
}

/** Marks a form dirty on input so live updates leave its values alone until it is saved. */
export function trackDirty(form) {
  form.addEventListener('input', () => (form.dataset.dirty = 'true'))
  return form
}

let seq = 0
export function uid(prefix) {
  seq += 1
  return `${prefix}-${seq}`
}
