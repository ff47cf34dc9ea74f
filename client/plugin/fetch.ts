/**
 * The fetch OpenCode's openai provider uses once our loader runs. Per attempt: a token
 * from the daemon, the request shaped for the Codex backend, the answer reported back.
 * When the daemon says another account is worth it, the same call goes on to one it
 * has not tried, so OpenCode sees one answer per request.
 */
import type { ResultOf } from '../../protocol/methods.js'
import type { DaemonLink } from './daemon-link.js'
import { ALL_LIMITED_STATUS, badRequest, upstreamTimeout } from './failures.js'
import type { FetchFn } from './opencode-types.js'
import { answerNoToken, lastAnswer, type LastFailure } from './outcome.js'
import {
  isResponsesUrl,
  parseRequestBody,
  shapeBody,
  splitModel,
  upstreamHeaders,
  upstreamUrl,
  wantsPriority,
  type ResponsesBody,
} from './request.js'
import { isCyberPolicy, readText, REPORT_BODY_MAX, reportHeaders } from './response.js'
import { SessionAccounts } from './sessions.js'
import { reportWhenDone } from './usage.js'
import { jsonOut, send, streamOut, UpstreamTimeoutError, type Sent } from './upstream.js'

export interface CodexFetchDeps {
  link: Pick<DaemonLink, 'call'>
  chatgptBase: string
  headersTimeoutMs: number
  idleTimeoutMs: number
  /** The status for "every account is limited" (failures.ts explains the default). */
  limitStatus?: number
  sessions?: SessionAccounts
  /** The network fetch; default globalThis.fetch. */
  upstream?: FetchFn
  now?: () => number
}

/** A safety net only: the daemon ends the loop with NO_ELIGIBLE_ACCOUNTS once every account was tried. */
const MAX_ATTEMPTS = 64

interface Incoming {
  url: URL
  method: string
  headers: Headers
  text: string
  signal?: AbortSignal
}

function target(input: string | URL | Request, init?: RequestInit): { url: URL; method: string } {
  const req = input instanceof Request ? input : undefined
  return { url: new URL(req ? req.url : String(input)), method: (init?.method ?? req?.method ?? 'GET').toUpperCase() }
}

async function incoming(
  input: string | URL | Request,
  init: RequestInit | undefined,
  url: URL,
  method: string,
): Promise<Incoming> {
  const req = input instanceof Request ? input : undefined
  const headers = new Headers(init?.headers ?? req?.headers)
  const signal = init?.signal ?? req?.signal ?? undefined
  let text = ''
  if (init?.body !== undefined && init.body !== null)
    text = typeof init.body === 'string' ? init.body : await new Response(init.body).text()
  else if (req) text = await req.text()
  return { url, method, headers, text, signal }
}

/** Waits for p, but gives up at once when the caller aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      p.catch(() => undefined)
      return reject(signal.reason)
    }
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

export function createCodexFetch(deps: CodexFetchDeps): FetchFn {
  const upstream = deps.upstream ?? ((input, init) => globalThis.fetch(input, init))
  const sessions = deps.sessions ?? new SessionAccounts()
  const now = deps.now ?? Date.now
  const limitStatus = deps.limitStatus ?? ALL_LIMITED_STATUS

  return async (input, init) => {
    const { url, method } = target(input, init)
    // Only the Responses endpoint is ours to route; anything else goes out untouched.
    if (method !== 'POST' || !isResponsesUrl(url)) return upstream(input, init)
    const req = await incoming(input, init, url, method)
    const parsed = parseRequestBody(req.text)
    if (!parsed.ok) return badRequest(parsed.error)
    return serve(req, parsed.body)
  }

  async function serve(req: Incoming, body: ResponsesBody): Promise<Response> {
    // token.get takes at most 500 characters; an empty key is no key.
    const sessionKey = body.prompt_cache_key ? body.prompt_cache_key.slice(0, 500) : undefined
    const model = splitModel(body.model).model
    const inputLength = Array.isArray(body.input) ? body.input.length : 0
    const tried: string[] = []
    const refreshedOnce = new Set<string>()
    let withoutPriority = false
    let last: LastFailure | undefined

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      req.signal?.throwIfAborted()
      let token: ResultOf<'token.get'>
      try {
        token = await abortable(
          deps.link.call('token.get', { model, sessionKey, ...(tried.length ? { exclude: [...tried] } : {}) }),
          req.signal,
        )
      } catch (err) {
        if (req.signal?.aborted) throw err
        return answerNoToken(err, last, now(), limitStatus)
      }
      const stripBefore = sessions.stripBefore(sessionKey, token.alias, inputLength)
      const shaped = shapeBody(body, { stripBefore, withoutPriority })
      let sent: Sent
      try {
        sent = await send({
          url: upstreamUrl(deps.chatgptBase),
          headers: upstreamHeaders(req.headers, token, body.prompt_cache_key || undefined),
          body: JSON.stringify(shaped),
          signal: req.signal,
          headersTimeoutMs: deps.headersTimeoutMs,
          fetch: upstream,
        })
      } catch (err) {
        if (err instanceof UpstreamTimeoutError) return upstreamTimeout(err.ms)
        throw err
      }
      const { res } = sent
      if (res.ok) {
        // Reported once the answer is through, with its token counts; fire and forget: the stream never waits.
        const headers = reportHeaders(res.headers)
        const alias = token.alias
        const watched = reportWhenDone(res, (usage) => {
          void deps.link
            .call('token.report', { alias, status: res.status, headers, model, ...(usage ? { usage } : {}) })
            .catch(() => undefined)
        })
        sessions.served(sessionKey, token.alias, stripBefore)
        const out = { ...sent, res: watched }
        return body.stream === true ? streamOut(out, deps.idleTimeoutMs) : jsonOut(out, deps.idleTimeoutMs)
      }

      const text = await abortable(readText(res), req.signal)
      last = { status: res.status, statusText: res.statusText, headers: res.headers, text }
      const verdict = await abortable(
        deps.link
          .call('token.report', {
            alias: token.alias,
            status: res.status,
            headers: reportHeaders(res.headers),
            body: text.slice(0, REPORT_BODY_MAX),
            model,
          })
          .catch(() => undefined),
        req.signal,
      )
      if (isCyberPolicy(res.status, text) && !withoutPriority && wantsPriority(body)) {
        withoutPriority = true
        continue
      }
      if (!verdict?.retry) return lastAnswer(last, now(), limitStatus)
      // A 401 the daemon answered with a refresh: the same account once more, with its new token.
      if (res.status === 401 && verdict.health === 'ok' && !refreshedOnce.has(token.alias)) {
        refreshedOnce.add(token.alias)
        continue
      }
      tried.push(token.alias)
    }
    return last ? lastAnswer(last, now(), limitStatus) : badRequest('too many attempts')
  }
}
