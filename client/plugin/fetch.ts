/**
 * The fetch OpenCode's openai provider uses once our loader runs: the Responses endpoint
 * goes through the shared backend client (upstream/loop.ts) with the daemon as the token
 * source; anything else goes out untouched.
 */
import { badRequest } from '../../upstream/answers.js'
import { serveResponses } from '../../upstream/loop.js'
import { fetchTransport } from '../../upstream/send.js'
import { openCodeLimited } from '../../upstream/outcome.js'
import { openCodeProfile } from '../../upstream/profiles.js'
import { isResponsesUrl, parseRequestBody } from '../../upstream/request.js'
import { SessionAccounts } from '../../upstream/sessions.js'
import { TokenSourceUnavailableError, type FetchFn, type TokenSource } from '../../upstream/types.js'
import { DaemonUnavailableError, type DaemonLink } from './daemon-link.js'

export interface CodexFetchDeps {
  link: Pick<DaemonLink, 'call'>
  chatgptBase: string
  headersTimeoutMs: number
  idleTimeoutMs: number
  /** The status for "every account is limited" (upstream/answers.ts explains the default). */
  limitStatus?: number
  sessions?: SessionAccounts
  /** The network fetch; default globalThis.fetch. */
  upstream?: FetchFn
  now?: () => number
}

function target(input: string | URL | Request, init?: RequestInit): { url: URL; method: string } {
  const req = input instanceof Request ? input : undefined
  return {
    url: new URL(req ? req.url : input instanceof URL ? input.href : input),
    method: (init?.method ?? req?.method ?? 'GET').toUpperCase(),
  }
}

async function bodyText(input: string | URL | Request, init: RequestInit | undefined): Promise<string> {
  if (init?.body !== undefined && init.body !== null)
    return typeof init.body === 'string' ? init.body : new Response(init.body).text()
  return input instanceof Request ? input.text() : ''
}

/** The daemon over its socket, as the loop's token source. */
function daemonSource(link: Pick<DaemonLink, 'call'>): TokenSource {
  return {
    async get(req) {
      try {
        return await link.call('token.get', req)
      } catch (err) {
        if (err instanceof DaemonUnavailableError) throw new TokenSourceUnavailableError(err.message)
        throw err
      }
    },
    report: (params) => link.call('token.report', params).catch(() => undefined),
  }
}

export function createCodexFetch(deps: CodexFetchDeps): FetchFn {
  const upstream = deps.upstream ?? ((input, init) => globalThis.fetch(input, init))
  const sessions = deps.sessions ?? new SessionAccounts()
  const tokens = daemonSource(deps.link)
  const profile = openCodeProfile(openCodeLimited(deps.limitStatus))
  const transport = fetchTransport(upstream)

  return async (input, init) => {
    const { url, method } = target(input, init)
    // Only the Responses endpoint is ours to route; anything else goes out untouched.
    if (method !== 'POST' || !isResponsesUrl(url)) return upstream(input, init)
    const req = input instanceof Request ? input : undefined
    const text = await bodyText(input, init)
    const parsed = parseRequestBody(text)
    if (!parsed.ok) return badRequest(parsed.error)
    return serveResponses(
      {
        headers: new Headers(init?.headers ?? req?.headers),
        text,
        body: parsed.body,
        signal: init?.signal ?? req?.signal ?? undefined,
      },
      {
        tokens,
        profile,
        sessions,
        chatgptBase: deps.chatgptBase,
        headersTimeoutMs: deps.headersTimeoutMs,
        idleTimeoutMs: deps.idleTimeoutMs,
        transport,
        now: deps.now ?? Date.now,
      },
    )
  }
}
