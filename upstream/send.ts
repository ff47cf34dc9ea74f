/**
 * One request to the backend: the caller's abort signal forwarded, a deadline for the
 * response headers, and the two ways a success goes back to the caller (the stream,
 * guarded against silence, or the completed response as JSON).
 */
import { withDeadline } from './deadline.js'
import type { Attempt, FetchFn, HeaderReader, Transport } from './types.js'
import { notCompleted } from './answers.js'
import { completedResponse, guardIdle, passHeaders, readText, type StreamTap } from './response.js'

export class UpstreamTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`the ChatGPT backend sent no response headers within ${ms} ms`)
    this.name = 'UpstreamTimeoutError'
  }
}

export interface Sent {
  res: Response
  /** Aborts the upstream request (and its body). */
  abort(reason?: unknown): void
}

export interface SendOptions {
  url: string
  headers: RequestInit['headers']
  body: string | Uint8Array
  signal?: AbortSignal
  headersTimeoutMs: number
  fetch: FetchFn
}

/** Rejects with the caller's abort reason when the caller aborts, with UpstreamTimeoutError on the deadline. */
export async function send(opts: SendOptions): Promise<Sent> {
  // Ours, so the streamed body stays abortable after the headers arrived.
  const ac = new AbortController()
  const res = await withDeadline(
    (signal) => opts.fetch(opts.url, { method: 'POST', headers: opts.headers, body: opts.body, signal }),
    {
      ms: opts.headersTimeoutMs,
      signal: opts.signal,
      controller: ac,
      timeoutError: () => new UpstreamTimeoutError(opts.headersTimeoutMs),
    },
  )
  return { res, abort: (reason) => ac.abort(reason) }
}

/** The backend's SSE stream, as is, for a streaming caller; `tap` sees it pass. */
export function streamOut(sent: Sent, idleTimeoutMs: number, tap?: StreamTap): Response {
  const { res } = sent
  const body = res.body ? guardIdle(res.body, idleTimeoutMs, () => sent.abort(new Error('stream idle')), tap) : null
  return new Response(body, { status: res.status, statusText: res.statusText, headers: passHeaders(res.headers) })
}

/** A non-streaming caller gets the `response.completed` event's `response` as JSON. */
export async function jsonOut(sent: Sent, idleTimeoutMs: number, tap?: StreamTap): Promise<Response> {
  const { res } = sent
  const body = res.body ? guardIdle(res.body, idleTimeoutMs, () => sent.abort(new Error('stream idle')), tap) : null
  const text = await readText(new Response(body), 256 * 1024 * 1024)
  const done = completedResponse(text)
  if (!done.ok) return notCompleted(done.message)
  const headers = passHeaders(res.headers)
  headers.set('content-type', 'application/json')
  return new Response(JSON.stringify(done.response), { status: 200, headers })
}

/** The loop's transport over a fetch: what the plugin uses (web-standard, so Bun runs it too). */
export function fetchTransport(fetch: FetchFn): Transport<Response> {
  return {
    async send(req) {
      const sent = await send({ ...req, fetch })
      const { res } = sent
      const attempt: Attempt<Response> = {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
        hasBody: res.body !== null,
        text: () => readText(res),
        deliver: ({ stream, idleMs, tap }) => (stream ? streamOut(sent, idleMs, tap) : jsonOut(sent, idleMs, tap)),
      }
      return attempt
    },
  }
}

/** A failure answer of the backend, rebuilt from the text already read for token.report. */
export function replay(status: number, statusText: string, headers: HeaderReader, text: string): Response {
  return new Response(text, { status, statusText, headers: passHeaders(headers) })
}
