/**
 * The gateway's way to the backend for the Responses loop (upstream/loop.ts decides; this
 * carries the bytes): undici's `request`, and the answer's body kept a Node stream that
 * pipe.ts writes straight to Codex. No web Request, Response, ReadableStream or extra
 * AbortSignal per request: on Node 20 each of those costs more than the hop itself
 * (docs/codex.md, "What the gateway costs"). What the backend sees is what fetch would
 * send (request-fetch.ts's default headers), a compressed answer is decoded as fetch would.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { request, type Dispatcher } from 'undici'
import { fetchTransport, jsonOut, UpstreamTimeoutError } from '../../upstream/send.js'
import { passHeaders, type StreamTap } from '../../upstream/response.js'
import type { Attempt, FetchFn, HeaderReader, Transport } from '../../upstream/types.js'
import { decodedBody, discard, REDIRECTS, requestHeaders } from '../net/request-fetch.js'

/** A success on its way to Codex as a Node stream (pipe.ts writes it). */
export interface NodeAnswer {
  status: number
  statusText: string
  /** As the backend sent them, less what the gateway re-frames. */
  headers: Record<string, string | string[]>
  body: Readable
  /** Silence for this long ends the answer and the upstream request. */
  idleMs: number
  tap: StreamTap | undefined
}

/** Failure bodies are small; a larger one is cut here (upstream/response.ts has the same bound). */
const ERROR_BODY_MAX = 1024 * 1024
/** Node frames the answer itself; the body is already decoded. */
const REFRAMED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding'])

/** The loop's view of Node's response headers (lower-case names; set-cookie and the like as several values). */
class NodeHeaders implements HeaderReader {
  constructor(private readonly raw: IncomingHttpHeaders) {}
  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()]
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
  }
  forEach(fn: (value: string, name: string) => void): void {
    for (const [name, v] of Object.entries(this.raw)) {
      if (v === undefined) continue
      if (Array.isArray(v)) for (const one of v) fn(one, name)
      else fn(v, name)
    }
  }
}

function forwarded(raw: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, v] of Object.entries(raw)) if (v !== undefined && !REFRAMED.has(name)) out[name] = v
  return out
}

function readText(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder()
    let text = ''
    body.on('data', (c: Buffer) => {
      text += decoder.decode(c, { stream: true })
      if (text.length >= ERROR_BODY_MAX) {
        body.destroy()
        resolve(text)
      }
    })
    body.once('end', () => resolve(text + decoder.decode()))
    body.once('error', reject)
  })
}

/** `fullFetch` takes what `request` does not: a redirect answer is followed there. */
export function nodeTransport(dispatcher: () => Dispatcher, fullFetch: FetchFn): Transport<Response | NodeAnswer> {
  const viaFetch = fetchTransport(fullFetch)
  return {
    async send(req) {
      const { signal } = req
      signal?.throwIfAborted()
      const url = new URL(req.url)
      let res: Dispatcher.ResponseData
      try {
        res = await request(url, {
          method: 'POST',
          headers: requestHeaders(req.headers, url.protocol === 'https:'),
          body: req.body,
          ...(signal ? { signal } : {}),
          // undici's own deadline for the headers: no timer or signal of ours per request.
          headersTimeout: req.headersTimeoutMs,
          dispatcher: dispatcher(),
        })
      } catch (err) {
        if (signal?.aborted) throw signal.reason
        if ((err as { code?: unknown }).code === 'UND_ERR_HEADERS_TIMEOUT')
          throw new UpstreamTimeoutError(req.headersTimeoutMs)
        throw new TypeError('fetch failed', { cause: err })
      }
      if (REDIRECTS.has(res.statusCode) && res.headers.location !== undefined) {
        discard(res.body)
        return viaFetch.send(req)
      }
      const raw = res.headers
      const encoding = raw['content-encoding']
      const body = decodedBody(res.body, typeof encoding === 'string' ? encoding : null)
      // Errors are handled where the body is read; one that comes after nobody listens is not a crash.
      body.on('error', () => undefined)
      const status = res.statusCode
      const statusText = res.statusText ?? ''
      const headers = new NodeHeaders(raw)
      const attempt: Attempt<Response | NodeAnswer> = {
        status,
        statusText,
        headers,
        hasBody: true,
        text: () => readText(body),
        deliver({ stream, idleMs, tap }) {
          if (stream) return { status, statusText, headers: forwarded(raw), body, idleMs, tap }
          // Codex always streams; a JSON caller takes the web way (upstream/send.ts).
          const web = new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
            status,
            statusText,
            headers: passHeaders(headers),
          })
          return jsonOut({ res: web, abort: (reason) => body.destroy(reason as Error) }, idleMs, tap)
        },
      }
      return attempt
    },
  }
}
