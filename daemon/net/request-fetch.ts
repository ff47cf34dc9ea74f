/**
 * fetch, for the plain requests the daemon makes (a string or bytes body, redirects
 * followed), on undici's `request` instead of its WHATWG fetch: on Node 20 fetch spends
 * about 0.3 ms per call on its spec machinery, which the gateway would add to every Codex
 * request's time to first byte (docs/codex.md, "What the gateway costs"). What the backend
 * sees and what the caller gets are fetch's: its default request headers, the body decoded
 * the way fetch decodes it, abort reasons and `fetch failed` / `terminated` errors with the
 * cause. Anything else (a Request, a stream or form body, a redirect answer) goes to the
 * real fetch.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { pipeline, type Readable } from 'node:stream'
import zlib from 'node:zlib'
import { request, type Dispatcher } from 'undici'
import type { FetchFn } from '../deps.js'

export const REDIRECTS = new Set([301, 302, 303, 307, 308])
const NULL_BODY = new Set([101, 103, 204, 205, 304])
const MAX_CODINGS = 5

/** A plain header object (what the gateway builds: lower-case names, one value each), not Headers or pairs. */
function isRecord(h: RequestInit['headers']): h is Record<string, string> {
  return typeof h === 'object' && h !== null && !(h instanceof Headers) && !Array.isArray(h)
}

/** The request headers fetch sends, the caller's first, with fetch's defaults for what is missing. */
export function requestHeaders(headers: RequestInit['headers'], https: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  if (isRecord(headers)) {
    for (const name of Object.keys(headers)) out[name.toLowerCase()] = String(headers[name])
  } else {
    const given = headers instanceof Headers ? headers : new Headers(headers)
    given.forEach((value, name) => (out[name] = value))
  }
  out.accept ??= '*/*'
  out['accept-language'] ??= '*'
  out['sec-fetch-mode'] ??= 'cors'
  out['user-agent'] ??= 'node'
  out['accept-encoding'] ??= out.range ? 'identity' : https ? 'br, gzip, deflate' : 'gzip, deflate'
  return out
}

function responseHeaders(raw: IncomingHttpHeaders): Headers {
  const h = new Headers()
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) h.append(name, v)
    else h.append(name, value)
  }
  return h
}

/** zlib streams that undo `content-encoding`, as fetch does (none when a coding is unknown: the body stays as sent). */
function decoders(encoding: string | null): NodeJS.ReadWriteStream[] {
  const codings = encoding ? encoding.toLowerCase().split(',') : []
  if (codings.length > MAX_CODINGS) throw new Error(`too many content-encodings in response: ${codings.length}`)
  const out: NodeJS.ReadWriteStream[] = []
  const sync = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }
  const brotli = { flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]?.trim()
    if (coding === 'gzip' || coding === 'x-gzip') out.push(zlib.createGunzip(sync))
    // zlib-wrapped, as servers send it; createUnzip also takes gzip, which fetch tolerates too.
    else if (coding === 'deflate') out.push(zlib.createUnzip(sync))
    else if (coding === 'br') out.push(zlib.createBrotliDecompress(brotli))
    else if (coding === 'identity' || coding === '') continue
    else return []
  }
  return out
}

/**
 * A web stream over a Node one, chunk by chunk as they come (no read-ahead beyond what the
 * reader asks for: the socket is paused meanwhile). Cancelling destroys the source, which
 * aborts the request, so the backend sees the client go.
 */
function webBody(source: Readable, wrap: (err: unknown) => unknown): ReadableStream<Uint8Array> {
  // After a cancel the source may still emit what it had read: the controller is closed by then.
  let open = true
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        source.on('data', (chunk: Buffer) => {
          if (!open) return
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if ((controller.desiredSize ?? 0) <= 0) source.pause()
        })
        source.once('end', () => {
          if (open) controller.close()
          open = false
        })
        source.on('error', (err) => {
          if (open) controller.error(wrap(err))
          open = false
        })
        source.pause()
      },
      pull() {
        source.resume()
      },
      cancel() {
        open = false
        source.destroy()
      },
    },
    { highWaterMark: 1 },
  )
}

/** A body nobody reads: read off (so the connection can serve the next request) or dropped, never an uncaught error. */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined)
  void body.dump().catch(() => undefined)
}

/** The body with `content-encoding` undone, as fetch gives it; a coding it cannot undo fails as fetch fails. */
export function decodedBody(body: Dispatcher.ResponseData['body'], encoding: string | null): Readable {
  try {
    const steps = decoders(encoding)
    return steps.length ? (pipeline([body, ...steps], () => undefined) as unknown as Readable) : body
  } catch (err) {
    discard(body)
    throw new TypeError('fetch failed', { cause: err })
  }
}

/** What this fetch takes on itself; anything else goes to the real fetch. */
function isPlain(input: Parameters<FetchFn>[0], init: RequestInit | undefined): input is string | URL {
  if (typeof input !== 'string' && !(input instanceof URL)) return false
  const body = init?.body
  const plainBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array
  return plainBody && (init?.redirect === undefined || init.redirect === 'follow')
}

export function requestFetch(dispatcher: () => Dispatcher, fallback: FetchFn): FetchFn {
  return async (input, init) => {
    if (!isPlain(input, init)) return fallback(input, init)
    const url = new URL(input)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback(input, init)
    const signal = init?.signal ?? undefined
    signal?.throwIfAborted()
    const method = (init?.method ?? 'GET').toUpperCase()
    const body = init?.body as string | Uint8Array | null | undefined
    let res: Dispatcher.ResponseData
    try {
      res = await request(url, {
        method,
        headers: requestHeaders(init?.headers, url.protocol === 'https:'),
        ...(body === undefined || body === null ? {} : { body }),
        ...(signal ? { signal } : {}),
        dispatcher: dispatcher(),
      })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      throw new TypeError('fetch failed', { cause: err })
    }
    const headers = responseHeaders(res.headers)
    if (REDIRECTS.has(res.statusCode) && headers.has('location')) {
      // Rare on these calls; fetch knows every rule of following one.
      discard(res.body)
      return fallback(input, init)
    }
    const init2 = { status: res.statusCode, statusText: res.statusText ?? '', headers }
    if (NULL_BODY.has(res.statusCode) || method === 'HEAD') {
      discard(res.body)
      return new Response(null, init2)
    }
    const wrap = (err: unknown): unknown =>
      signal?.aborted ? signal.reason : new TypeError('terminated', { cause: err })
    return new Response(webBody(decodedBody(res.body, headers.get('content-encoding')), wrap), init2)
  }
}
