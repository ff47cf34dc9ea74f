/**
 * The try-the-next-account loop for one Responses request. Per attempt: a token from the
 * source, the request shaped for the client it comes from, the answer reported back. When
 * the source says another account is worth it, the same request goes on to one it has not
 * tried, before a byte of the answer reached the caller, so the caller sees one answer.
 */
import type { TokenResult } from '../protocol/methods.js'
import { badRequest, upstreamTimeout } from './answers.js'
import { answerNoToken, lastAnswer, type LastFailure, type LimitedAnswer } from './outcome.js'
import { splitModel, upstreamUrl, wantsPriority, type ResponsesBody, type ShapeOptions } from './request.js'
import { isCyberPolicy, REPORT_BODY_MAX, reportHeaders, type StreamTap } from './response.js'
import { UpstreamTimeoutError } from './send.js'
import type { SessionAccounts } from './sessions.js'
import type { Attempt, HeaderSource, TokenSource, Transport } from './types.js'
import { usageTap } from './usage.js'

/** How one kind of client is served: its headers and body kept as its own, its failures in its terms. */
export interface ClientProfile {
  headers(caller: HeaderSource, token: TokenResult): Record<string, string>
  /** The body to send for this attempt. */
  body(req: ResponsesRequest, opts: ShapeOptions): string | Uint8Array
  limited: LimitedAnswer
}

export interface ResponsesRequest {
  headers: HeaderSource
  /** The body as the client sent it. */
  text: string
  /** The same, as the bytes that came (when at hand): a body passed on unchanged goes as these, not re-encoded. */
  bytes?: Uint8Array
  body: ResponsesBody
  signal?: AbortSignal
}

/** `T`: how the transport hands a success to the caller (the plugin: a web Response). */
export interface LoopDeps<T = Response> {
  tokens: TokenSource
  profile: ClientProfile
  sessions: SessionAccounts
  /** e.g. https://chatgpt.com/backend-api, no trailing slash. */
  chatgptBase: string
  headersTimeoutMs: number
  idleTimeoutMs: number
  transport: Transport<T>
  now: () => number
  /** A failed attempt is moving on to another account (before the caller saw anything). */
  onFailover?(from: string, status: number): void
}

/** A safety net only: the source ends the loop with NO_ELIGIBLE_ACCOUNTS once every account was tried. */
const MAX_ATTEMPTS = 64

/** Waits for p, but gives up at once when the caller aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'))
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      p.catch(() => undefined)
      return reject(reason())
    }
    const onAbort = (): void => reject(reason())
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** How the success is reported: at once without a body, else at the end of the stream, which holds the usage. */
function successReport<T>(
  res: Attempt<T>,
  deps: LoopDeps<T>,
  token: TokenResult,
  model: string,
): StreamTap | undefined {
  if (!res.hasBody) {
    void deps.tokens.report({ alias: token.alias, status: res.status, headers: reportHeaders(res.headers), model })
    return undefined
  }
  return usageTap((usage) => {
    void deps.tokens
      .report({
        alias: token.alias,
        status: res.status,
        headers: reportHeaders(res.headers),
        model,
        ...(usage ? { usage } : {}),
      })
      .catch(() => undefined)
  })
}

export async function serveResponses<T = Response>(req: ResponsesRequest, deps: LoopDeps<T>): Promise<Response | T> {
  const { body } = req
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
    let token: TokenResult
    try {
      token = await abortable(
        deps.tokens.get({ model, sessionKey, ...(tried.length ? { exclude: [...tried] } : {}) }),
        req.signal,
      )
    } catch (err) {
      if (req.signal?.aborted) throw err
      return answerNoToken(err, last, deps.now(), deps.profile.limited)
    }
    const stripBefore = deps.sessions.stripBefore(sessionKey, token.alias, inputLength)
    let res: Attempt<T>
    try {
      res = await deps.transport.send({
        url: upstreamUrl(deps.chatgptBase),
        headers: deps.profile.headers(req.headers, token),
        body: deps.profile.body(req, { stripBefore, withoutPriority }),
        ...(req.signal ? { signal: req.signal } : {}),
        headersTimeoutMs: deps.headersTimeoutMs,
      })
    } catch (err) {
      if (err instanceof UpstreamTimeoutError) return upstreamTimeout(err.ms)
      throw err
    }
    if (res.status >= 200 && res.status < 300) {
      deps.sessions.served(sessionKey, token.alias, stripBefore)
      const tap = successReport(res, deps, token, model)
      return res.deliver({ stream: body.stream === true, idleMs: deps.idleTimeoutMs, tap })
    }

    const text = await abortable(res.text(), req.signal)
    last = { status: res.status, statusText: res.statusText, headers: res.headers, text }
    const verdict = await abortable(
      deps.tokens
        .report({
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
    if (!verdict?.retry) return lastAnswer(last, deps.now(), deps.profile.limited)
    // A 401 the source answered with a refresh: the same account once more, with its new token.
    if (res.status === 401 && verdict.health === 'ok' && !refreshedOnce.has(token.alias)) {
      refreshedOnce.add(token.alias)
      continue
    }
    tried.push(token.alias)
    deps.onFailover?.(token.alias, res.status)
  }
  return last ? lastAnswer(last, deps.now(), deps.profile.limited) : badRequest('too many attempts')
}
