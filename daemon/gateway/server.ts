/**
 * The gateway's listener: 127.0.0.1 only, every request checked before anything else —
 * the Host header must name this listener (DNS rebinding), and the caller must present
 * the gateway secret as its Bearer, or (for the ChatGPT-base calls Codex makes with its
 * own auth.json credential: usage, settings, ...) the access token of one of the pool's
 * accounts. Nothing about a request's content reaches a log line.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../deps.js'
import { BodyTooLargeError, readBody, sendJson, writeResponse } from './http-io.js'
import { pipeAnswer } from './pipe.js'
import type { GatewayAnswer, GatewayRequest } from './routes.js'
import { secretMatches } from './secret.js'
import type { GatewayStats } from './stats.js'

/** Codex's Responses bodies carry the whole conversation; 64 MiB is far beyond a real one. */
const BODY_MAX = 64 * 1024 * 1024
const PREFIX = '/backend-api'

export interface ListenerDeps {
  secret: string
  /** True when `token` is a current access token of one of the pool's accounts. */
  isPoolToken(token: string): boolean
  route(req: GatewayRequest): Promise<GatewayAnswer>
  stats: GatewayStats
  logger: Logger
}

export class GatewayListener {
  private server: Server | undefined
  private port = 0
  /** Made once: every request compares against it. */
  private readonly secret: Buffer

  constructor(private readonly deps: ListenerDeps) {
    this.secret = Buffer.from(deps.secret)
  }

  get url(): string | undefined {
    return this.server ? `http://127.0.0.1:${this.port}${PREFIX}` : undefined
  }

  async listen(port: number): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res))
    server.on('connection', (socket) => socket.setNoDelay(true))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    this.port = (server.address() as AddressInfo).port
  }

  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  private hostOk(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`
  }

  /** How the caller proved itself: the gateway secret, a pool account's token, or not at all. */
  private authorized(req: IncomingMessage): 'secret' | 'pool-token' | undefined {
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    const header = req.headers['x-opencode-multi-auth-gateway']
    if (secretMatches(this.secret, typeof header === 'string' ? header : bearer)) return 'secret'
    return bearer !== undefined && this.deps.isPoolToken(bearer) ? 'pool-token' : undefined
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.deps.stats.request()
    const url = req.url ?? '/'
    if (!this.hostOk(req.headers.host)) return sendJson(res, 421, { detail: 'wrong Host for this listener' })
    const auth = this.authorized(req)
    // The path only (a query may carry ids), and how the caller proved itself: never a token or the body.
    this.deps.logger.debug('gateway request', { method: req.method, path: url.split('?')[0], auth: auth ?? 'none' })
    if (!auth) return sendJson(res, 401, { detail: 'opencode-multi-auth gateway: not authorized' })
    if (url !== PREFIX && !url.startsWith(`${PREFIX}/`) && !url.startsWith(`${PREFIX}?`))
      return sendJson(res, 404, { detail: 'Not Found' })
    const ac = new AbortController()
    // Codex went away before the answer was complete: the upstream request goes too.
    res.once('close', () => {
      if (!res.writableFinished) ac.abort(new Error('the Codex CLI closed the connection'))
    })
    try {
      const body = await readBody(req, BODY_MAX)
      const answer = await this.deps.route({
        method: req.method ?? 'GET',
        path: url.slice(PREFIX.length) || '/',
        headers: req.headers,
        body,
        signal: ac.signal,
      })
      if (answer.status >= 500) this.deps.stats.error(`upstream answered ${answer.status}`)
      await (answer instanceof Response ? writeResponse(res, answer) : pipeAnswer(res, answer))
    } catch (err) {
      if (ac.signal.aborted) return
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { detail: err.message })
      const message = err instanceof Error ? err.message : String(err)
      this.deps.stats.error(message)
      this.deps.logger.warn('gateway request failed', { path: url.split('?')[0], error: message })
      if (!res.headersSent) sendJson(res, 502, { detail: `opencode-multi-auth gateway: ${message}` })
      else res.destroy()
    }
  }
}
