import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JSONRPCServer } from 'json-rpc-2.0'
import type { Logger } from '../deps.js'
import type { CallContext, MethodFilter } from '../server/dispatch.js'
import {
  hostAllowed,
  originAllowed,
  readCookie,
  refuse,
  SECURITY_HEADERS,
  SESSION_COOKIE,
  sessionCookie,
} from './guards.js'
import { handleRpc, readBody } from './rpc-http.js'
import type { SignIn } from './sign-in.js'
import { EventStreams } from './sse.js'
import type { StaticFile } from './static-files.js'

/** Requests the dashboard answers at once; past this a request gets 503 (a socket connection's in-flight cap). */
export const MAX_HTTP_IN_FLIGHT = 64
/** TCP connections held open at once (a browser keeps a few per tab). */
export const MAX_HTTP_CONNECTIONS = 64

export interface WebServerOptions {
  port: number
  dispatcher: JSONRPCServer<CallContext>
  signIn: SignIn
  files: Map<string, StaticFile>
  logger: Logger
  /** Which methods `POST /rpc` serves. */
  allow: MethodFilter
}

/**
 * The dashboard's HTTP listener, on 127.0.0.1 only. Every request must name
 * this listener in Host (DNS rebinding); every POST must come from the page's
 * own Origin with a JSON body (CSRF); everything but the static shell needs
 * the session cookie.
 */
export class WebServer {
  private server: Server | undefined
  private boundPort = 0
  private inFlight = 0
  private readonly streams: EventStreams

  constructor(private readonly opts: WebServerOptions) {
    this.streams = new EventStreams(opts.dispatcher, opts.logger)
  }

  get port(): number {
    return this.boundPort
  }

  async listen(): Promise<number> {
    const server = createServer((req, res) => void this.route(req, res))
    server.maxConnections = MAX_HTTP_CONNECTIONS
    // Headers and bodies must arrive promptly; answers (login.wait, the event stream) may take long.
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: '127.0.0.1', port: this.opts.port, exclusive: true }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (err) => this.opts.logger.error('dashboard server error', { error: err.message }))
    this.server = server
    this.boundPort = (server.address() as AddressInfo).port
    return this.boundPort
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    this.streams.closeAll()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }

  private authenticated(req: IncomingMessage): boolean {
    return this.opts.signIn.verify(readCookie(req, SESSION_COOKIE))
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const port = this.boundPort
    if (!hostAllowed(req, port)) return refuse(res, 421, 'unknown host')
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/events') {
        if (!this.authenticated(req))
          return refuse(res, 401, 'sign in with the link from `opencode-multi-auth dashboard`')
        return this.streams.open(res)
      }
      return this.serveStatic(req, res, path)
    }
    if (req.method !== 'POST') return refuse(res, 405, 'method not allowed')
    if (!originAllowed(req, port)) return refuse(res, 403, 'cross-origin request refused')
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return refuse(res, 415, 'JSON only')
    }
    if (path === '/auth') return this.exchange(req, res)
    if (path !== '/rpc') return refuse(res, 404, 'not found')
    if (!this.authenticated(req)) return refuse(res, 401, 'sign in with the link from `opencode-multi-auth dashboard`')
    if (this.inFlight >= MAX_HTTP_IN_FLIGHT) return refuse(res, 503, 'too many requests in flight')
    this.inFlight++
    try {
      await handleRpc(req, res, this.opts.dispatcher, this.opts.allow)
    } finally {
      this.inFlight--
    }
  }

  /** The one-time code from the link's fragment, spent for the session cookie. */
  private async exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, res, 4096)
    if (body === undefined) return
    let code: unknown
    try {
      code = (JSON.parse(body) as { code?: unknown } | null)?.code
    } catch {
      return refuse(res, 400, 'bad request')
    }
    const session = this.opts.signIn.redeem(code)
    if (!session) {
      this.opts.logger.warn('dashboard sign-in refused: the link was used already, expired or never issued')
      return refuse(res, 401, 'this sign-in link was used already or has expired; run `opencode-multi-auth dashboard`')
    }
    this.opts.logger.info('dashboard signed in')
    res.writeHead(204, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', 'Set-Cookie': sessionCookie(session) })
    res.end()
  }

  private serveStatic(req: IncomingMessage, res: ServerResponse, path: string): void {
    const file = this.opts.files.get(path)
    if (!file) return refuse(res, 404, 'not found')
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Content-Length': String(file.body.length),
      'Cache-Control': 'no-cache',
    })
    res.end(req.method === 'HEAD' ? undefined : file.body)
  }
}
