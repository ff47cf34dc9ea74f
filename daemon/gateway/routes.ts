/**
 * What the gateway does with each request Codex makes under its ChatGPT base URL
 * (`<gateway>/backend-api`): the Responses endpoint through the account loop, the usage
 * endpoints with the view of the account that would serve next, anything else passed
 * through with that account's token (Codex's own headers kept, only `authorization` and
 * `chatgpt-account-id` replaced).
 */
import type { TokenResult } from '../../protocol/methods.js'
import { passThroughHeaders } from '../../upstream/headers.js'
import { serveResponses } from '../../upstream/loop.js'
import { codexProfile } from '../../upstream/profiles.js'
import { parseRequestBody } from '../../upstream/request.js'
import { SessionAccounts } from '../../upstream/sessions.js'
import type { FetchFn, HeaderSource, TokenSource, Transport } from '../../upstream/types.js'
import { codexLimited, exhaustedUsage } from './answers.js'
import type { NodeAnswer } from './node-transport.js'
import type { GatewayStats } from './stats.js'

/** The account that would serve next, without moving the rotation; or when the first one frees up. */
export type NextAccount = () => Promise<{ token: TokenResult } | { resetAt?: number }>

export interface RouteDeps {
  tokens: TokenSource
  next: NextAccount
  fetch: FetchFn
  /** How the Responses loop reaches the backend (node-transport.ts, or fetch's when the daemon's fetch is injected). */
  transport: Transport<Response | NodeAnswer>
  chatgptBase: string
  headersTimeoutMs: number
  idleTimeoutMs: number
  now: () => number
  stats: GatewayStats
}

export interface GatewayRequest {
  method: string
  /** The path under /backend-api, with its query. */
  path: string
  /** Node's request headers (lower-case names). */
  headers: HeaderSource
  body: Uint8Array
  signal: AbortSignal
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** The gateway's own request header, never passed on. */
const GATEWAY_HEADERS = ['x-opencode-multi-auth-gateway'] as const

/** What a route answers: a web Response, or a backend stream to pipe as it is (pipe.ts). */
export type GatewayAnswer = Response | NodeAnswer

export function createRoutes(deps: RouteDeps): (req: GatewayRequest) => Promise<GatewayAnswer> {
  const sessions = new SessionAccounts()
  const profile = codexProfile(codexLimited, GATEWAY_HEADERS)

  async function responses(req: GatewayRequest): Promise<GatewayAnswer> {
    const text = new TextDecoder().decode(req.body)
    const parsed = parseRequestBody(text)
    if (!parsed.ok) return json(400, { error: { type: 'invalid_request_error', message: parsed.error } })
    return serveResponses(
      { headers: req.headers, text, bytes: req.body, body: parsed.body, signal: req.signal },
      {
        tokens: deps.tokens,
        profile,
        sessions,
        chatgptBase: deps.chatgptBase,
        headersTimeoutMs: deps.headersTimeoutMs,
        idleTimeoutMs: deps.idleTimeoutMs,
        transport: deps.transport,
        now: deps.now,
        onFailover: () => deps.stats.failover(),
      },
    )
  }

  async function passThrough(req: GatewayRequest, path: string): Promise<Response> {
    const next = await deps.next()
    if (!('token' in next)) {
      if (path.startsWith('/codex/usage') || path.startsWith('/wham/usage'))
        return json(200, exhaustedUsage(next.resetAt, deps.now()))
      return json(503, { detail: 'opencode-multi-auth: no account can serve now' })
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    return deps.fetch(`${deps.chatgptBase}${path}`, {
      method: req.method,
      headers: passThroughHeaders(req.headers, next.token, GATEWAY_HEADERS),
      ...(hasBody ? { body: req.body } : {}),
      signal: AbortSignal.any([req.signal, AbortSignal.timeout(deps.headersTimeoutMs)]),
    })
  }

  return async (req) => {
    const pathname = req.path.split('?')[0]
    if (req.method === 'POST' && pathname === '/codex/responses') return responses(req)
    // The old usage endpoint began answering 403 for valid tokens: both go to the current one.
    if (req.method === 'GET' && (pathname === '/wham/usage' || pathname === '/codex/usage'))
      return passThrough(req, `/codex/usage${req.path.slice(pathname.length)}`)
    return passThrough(req, req.path)
  }
}
