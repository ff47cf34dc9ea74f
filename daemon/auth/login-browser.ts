/**
 * Browser sign-in, as the Codex CLI does it (docs/architecture.md#oauth): PKCE S256,
 * a random `state` that the callback must carry back, and a callback server on
 * 127.0.0.1 and ::1 (the redirect says localhost). The port is chosen (1455, else 1457) before the URL exists, so
 * the redirect in the URL the user sees always matches the server listening.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import * as z from 'zod'
import { errorPage, successPage } from './login-pages.js'

export const DEFAULT_LOGIN_PORTS: readonly number[] = [1455, 1457]
export const CALLBACK_PATH = '/auth/callback'
export const SCOPES = 'openid profile email offline_access'

export interface Pkce {
  verifier: string
  challenge: string
}

export function newPkce(): Pkce {
  const verifier = randomBytes(64).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** The authorize URL, with exactly the parameters (and order) the Codex CLI sends (docs/architecture.md#oauth). */
export function authorizeUrl(p: {
  issuer: string
  clientId: string
  redirectUri: string
  challenge: string
  state: string
}): string {
  const q: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', p.clientId],
    ['redirect_uri', p.redirectUri],
    ['scope', SCOPES],
    ['code_challenge', p.challenge],
    ['code_challenge_method', 'S256'],
    ['state', p.state],
    ['id_token_add_organizations', 'true'],
    ['codex_cli_simplified_flow', 'true'],
    ['originator', 'codex_cli_rs'],
  ]
  return `${p.issuer}/oauth/authorize?${q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`
}

const callbackQuery = z.object({
  code: z.string().min(1).max(8192).optional(),
  state: z.string().max(1024).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
})

/** What the manager does with a code; resolves with who signed in, for the success page. */
export type CodeHandler = (exchange: { code: string; redirectUri: string; codeVerifier: string }) => Promise<string>

export interface BrowserLoginOptions {
  issuer: string
  clientId: string
  ports: readonly number[]
  onCode: CodeHandler
  /** A callback that ends the sign-in without a code (the issuer reported an error). */
  onFailure(message: string): void
}

export interface BrowserLogin {
  url: string
  redirectUri: string
  port: number
  close(): Promise<void>
}

export class PortsBusyError extends Error {}

export async function startBrowserLogin(opts: BrowserLoginOptions): Promise<BrowserLogin> {
  const pkce = newPkce()
  const state = randomBytes(32).toString('base64url')
  let handled = false
  // Set once the port is chosen, which is before any request can arrive.
  let redirectUri = ''
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== CALLBACK_PATH)
      return send(res, 404, errorPage('Not found', 'This server only answers the sign-in callback.'))
    if (req.method !== 'GET')
      return send(res, 405, errorPage('Method not allowed', 'The sign-in callback is a GET request.'))
    const q = callbackQuery.safeParse(Object.fromEntries(url.searchParams))
    if (!q.success) return send(res, 400, errorPage('Sign-in refused', 'The callback parameters are malformed.'))
    const { code, error, error_description: description } = q.data
    // A wrong state is someone else's (or a stale tab's) request: refuse it, keep waiting for ours.
    if (!q.data.state || !sameSecret(q.data.state, state)) {
      return send(
        res,
        400,
        errorPage(
          'Sign-in refused: state mismatch',
          'This callback does not belong to the sign-in in progress. Start again from the terminal.',
        ),
      )
    }
    if (handled)
      return send(res, 409, errorPage('Already handled', 'This sign-in has already been completed or refused.'))
    handled = true
    if (error) {
      const message = `the issuer refused the sign-in: ${error}${description ? ` (${description})` : ''}`
      opts.onFailure(message)
      return send(res, 400, errorPage('Sign-in failed', message))
    }
    if (!code) {
      opts.onFailure('the callback carried no authorization code')
      return send(
        res,
        400,
        errorPage(
          'Sign-in refused: no code',
          'The callback carried no authorization code. Start again from the terminal.',
        ),
      )
    }
    try {
      const who = await opts.onCode({ code, redirectUri, codeVerifier: pkce.verifier })
      send(res, 200, successPage(who))
    } catch (err) {
      send(
        res,
        500,
        errorPage('Sign-in failed', err instanceof Error ? err.message : 'the code could not be exchanged'),
      )
    }
  }
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, errorPage('Sign-in failed', 'Internal error'))
    })
  }
  // The redirect says `localhost`, which a browser may resolve to ::1 first: listen
  // there too, so no other process on [::1]:port can take the code and state.
  const servers = [createServer(serve), createServer(serve)] as const
  const port = await listenOnFirstFree(servers, opts.ports)
  redirectUri = `http://localhost:${port}${CALLBACK_PATH}`
  return {
    url: authorizeUrl({ issuer: opts.issuer, clientId: opts.clientId, redirectUri, challenge: pkce.challenge, state }),
    redirectUri,
    port,
    close: async () => {
      await Promise.all(servers.map(closeGently))
    },
  }
}

/** Stop listening now (the port is free for the next sign-in), but let a page being answered finish. */
function closeGently(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve()
  return new Promise<void>((resolve) => {
    // Every page is sent with Connection: close.
    const force = setTimeout(() => server.closeAllConnections(), 2000)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}

/** Resolves with the listen error's code, or undefined once listening. */
function listenOn(server: Server, port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => resolve(err.code ?? 'error')
    server.once('error', onError)
    server.listen({ port, host, ipv6Only: host === '::1' }, () => {
      server.removeListener('error', onError)
      resolve(undefined)
    })
  })
}

/** No IPv6 on this machine: nobody can listen on ::1 either, so 127.0.0.1 alone is safe. */
const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT'])

async function listenOnFirstFree(servers: readonly [Server, Server], ports: readonly number[]): Promise<number> {
  const [v4, v6] = servers
  for (const port of ports) {
    if ((await listenOn(v4, port, '127.0.0.1')) !== undefined) continue
    const addr = v4.address()
    if (!addr || typeof addr !== 'object') continue
    const v6Error = await listenOn(v6, addr.port, '::1')
    if (v6Error === undefined || NO_IPV6.has(v6Error)) return addr.port
    // Someone holds [::1]:port: a browser going to localhost might reach them. Busy.
    await closeGently(v4)
  }
  throw new PortsBusyError(
    `ports ${ports.join(', ')} on localhost (127.0.0.1 and ::1) are all busy (is another sign-in running, e.g. \`codex login\`?)`,
  )
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'x-content-type-options': 'nosniff',
    connection: 'close',
  })
  res.end(html)
}
