/**
 * The few HTTP chores both fake servers share: listen on a random loopback port, read
 * a body in either encoding the real endpoints accept, answer JSON, and shut down
 * without waiting on clients that keep sockets open (a test must never hang on close).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

export interface Listening {
  server: Server
  /** http://127.0.0.1:PORT (https://localhost:PORT with TLS), no trailing slash. */
  origin: string
  close(): Promise<void>
}

/** PEM key and certificate for an HTTPS fake (see tls.ts for a test CA). */
export interface TlsFiles {
  key: string
  cert: string
}

export async function listenLoopback(handler: Handler, tls?: TlsFiles): Promise<Listening> {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      // A bug in a fake must surface as a loud 500, not as a hung request.
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fake server bug: ${String(err)}` } })
      else res.destroy()
    })
  }
  const server: Server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('fake server has no TCP address')
  return {
    server,
    // A certificate names a host, so HTTPS fakes are reached as localhost.
    origin: tls ? `https://localhost:${address.port}` : `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * JSON or application/x-www-form-urlencoded, chosen by content-type; without one, JSON
 * is tried first. Returns the fields as strings where they are strings, so handlers
 * can validate each field the way the real server would.
 */
export function parseFields(raw: string, contentType: string | undefined): Record<string, unknown> {
  const type = (contentType ?? '').toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw))
  if (raw.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(raw)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
    return {}
  } catch {
    if (type.includes('json')) return {}
    return Object.fromEntries(new URLSearchParams(raw))
  }
}

export function str(fields: Record<string, unknown>, key: string): string | undefined {
  const v = fields[key]
  return typeof v === 'string' ? v : undefined
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/** Header value as one string (node gives string[] for repeated headers). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v.join(', ') : v
}

export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}
