// Runs inside the dashboard page (page.evaluate): the computed-style checks for the C1 sizes.
// Every visible text at least 11 px, every button/select/text input at least 36 px high, every
// checkbox and radio at least 24x24, text contrast WCAG AA against the nearest opaque background.
;(() => {
  const parse = (c) => (c.match(/[\d.]+/g) ?? []).map(Number)
  const lum = ([r = 0, g = 0, b = 0]) => {
    const f = (v) => {
      const s = v / 255
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
    }
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
  }
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m)
    return (x + 0.05) / (y + 0.05)
  }
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor)
      if (c.length === 3 || (c.length === 4 && (c[3] ?? 0) > 0.5)) return c.slice(0, 3)
    }
    return parse(getComputedStyle(document.body).backgroundColor).slice(0, 3)
  }
  const visible = (el) => {
    const r = el.getBoundingClientRect()
    const s = getComputedStyle(el)
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
  }
  const name = (el) =>
    `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}"`
  const report = { smallText: [], shortControls: [], lowContrast: [] }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  const seen = new Set()
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement
    if (!el || seen.has(el) || !(n.textContent ?? '').trim() || !visible(el)) continue
    seen.add(el)
    const s = getComputedStyle(el)
    const size = parseFloat(s.fontSize)
    if (size < 11) report.smallText.push(`${name(el)} ${size}px`)
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700)
    const r = ratio(parse(s.color).slice(0, 3), bgOf(el))
    if (Number(s.opacity) === 1 && r < (large ? 3 : 4.5)) report.lowContrast.push(`${name(el)} ${r.toFixed(2)}`)
  }
  for (const el of document.querySelectorAll('button, select, input, textarea, summary, a.button')) {
    if (!visible(el)) continue
    const r = el.getBoundingClientRect()
    const type = el.getAttribute('type')
    const small = type === 'checkbox' || type === 'radio'
    if (small ? r.width < 24 || r.height < 24 : r.height < 36) {
      report.shortControls.push(`${name(el)} ${r.width.toFixed(0)}x${r.height.toFixed(0)}`)
    }
  }
  const body = getComputedStyle(document.body)
  return {
    ...report,
    overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
    background: body.backgroundColor,
    color: body.color,
  }
})()
