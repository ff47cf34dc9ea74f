/** The pages the sign-in callback server answers with. Everything echoed is HTML-escaped. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, body: string, ok: boolean): string {
  const color = ok ? '#2e7d32' : '#c62828'
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font:16px/1.5 system-ui,sans-serif;background:#151515;color:#e8e8e8;display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}',
    `main{max-width:34rem;padding:2rem;border-radius:12px;background:#1e1e1e;border-top:4px solid ${color}}h1{font-size:1.3rem;margin:0 0 .75rem}</style>`,
    '</head><body><main>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(body)}</p>`,
    '</main></body></html>',
  ].join('\n')
}

export function successPage(who: string): string {
  return page(
    'Signed in to opencode-multi-auth',
    `${who} is ready. You can close this tab and return to the terminal.`,
    true,
  )
}

export function errorPage(title: string, detail: string): string {
  return page(title, detail, false)
}
