/**
 * The Node side of the gateway's HTTP: a request body read with a bound, and a web
 * Response written to the Codex CLI chunk by chunk as it arrives (no buffering), with
 * backpressure, and the upstream cancelled when Codex goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export class BodyTooLargeError extends Error {
  constructor(readonly max: number) {
    super(`request body over ${max} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/** Listeners, not an async iterator: the iterator's machinery costs more than a small body's read. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (b: Buffer): void => {
      size += b.length
      if (size > max) {
        done()
        req.destroy()
        reject(new BodyTooLargeError(max))
        return
      }
      chunks.push(b)
    }
    const onEnd = (): void => {
      done()
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
    }
    const onError = (err: Error): void => {
      done()
      reject(err)
    }
    // The client went away before the body was complete: no 'end' will come.
    const onClose = (): void => {
      if (!req.complete) onError(new Error('the request body was cut short'))
    }
    const done = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose)
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose)
  })
}

/** Hop-by-hop and framing headers: Node frames the answer itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding'])

const LATER = Symbol('later')
/** Resolves after the I/O already received has been handled: what is not there by then has not arrived. */
const afterPendingIo = (): Promise<typeof LATER> => new Promise((resolve) => setImmediate(resolve, LATER))

export async function writeResponse(out: ServerResponse, res: Response): Promise<void> {
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name)) headers[name] = value
  })
  out.writeHead(res.status, res.statusText || undefined, headers)
  if (!res.body) {
    out.end()
    return
  }
  const reader = res.body.getReader()
  const gone = new Promise<'gone'>((resolve) => out.once('close', () => resolve('gone')))
  try {
    let pending = reader.read()
    // The first chunk, when it came with the headers, leaves with them in one write; otherwise
    // the status line and headers go now: Codex's time to first byte must not wait for the body.
    if ((await Promise.race([pending, afterPendingIo()])) === LATER) out.flushHeaders()
    for (;;) {
      const next = await Promise.race([pending, gone])
      if (next === 'gone') {
        await reader.cancel(new Error('the client went away')).catch(() => undefined)
        return
      }
      if (next.done) break
      if (!out.write(next.value)) {
        const drained = await Promise.race([
          new Promise<'drain'>((resolve) => out.once('drain', () => resolve('drain'))),
          gone,
        ])
        if (drained === 'gone') {
          await reader.cancel(new Error('the client went away')).catch(() => undefined)
          return
        }
      }
      pending = reader.read()
    }
    out.end()
  } catch (err) {
    // The upstream stream failed mid-way: Codex sees the connection end without the completed event.
    out.destroy(err instanceof Error ? err : new Error(String(err)))
  } finally {
    reader.releaseLock()
  }
}

export function sendJson(
  out: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  out.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  out.end(text)
}
