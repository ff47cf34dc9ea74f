import type { IncomingMessage, ServerResponse } from 'node:http'

export const SESSION_COOKIE = 'oma_dashboard'

/** Headers on every answer: nothing from elsewhere, no framing, no sniffing, no referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/** The names a browser may use for this listener; anything else is a rebinding attempt or a stranger. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`])
}

export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host
  return typeof host === 'string' && allowedHosts(port).has(host.toLowerCase())
}

/** A state-changing request must come from the page itself (CSRF): its Origin is the listener's. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin
  if (typeof origin !== 'string') return false
  const hosts = allowedHosts(port)
  return [...hosts].some((h) => origin.toLowerCase() === `http://${h}`)
}

/** One cookie's value from the Cookie header, without building an object keyed by outside names. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie
  if (typeof header !== 'string' || header.length > 8192) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export function sessionCookie(value: string): string {
  // No Max-Age: the secret dies with the daemon, so the cookie may die with the browser session.
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/`
}

/** A short plain-text refusal; the reason never echoes anything the request carried. */
export function refuse(res: ServerResponse, status: number, reason: string): void {
  if (res.headersSent) return void res.destroy()
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  })
  res.end(`${reason}\n`)
}
