import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JSONRPCServer } from 'json-rpc-2.0'
import { ErrorCode } from '../../protocol/errors.js'
import { MAX_FRAME_BYTES } from '../../protocol/framing.js'
import { receiveLine, type CallContext, type MethodFilter } from '../server/dispatch.js'
import { refuse, SECURITY_HEADERS } from './guards.js'

/** Entries in one batch, as on the socket. */
export const MAX_BATCH = 100

/** The request body as text, or undefined after answering 413 when it passes `limit` bytes. */
export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit = MAX_FRAME_BYTES,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        refuse(res, 413, `request body over ${limit} bytes`)
        req.destroy()
        return resolve(undefined)
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'))
      done = true
    })
    req.on('error', () => {
      if (!done) resolve(undefined)
      done = true
    })
  })
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = body === null ? '' : JSON.stringify(body)
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
  })
  res.end(text)
}

/**
 * `POST /rpc`: one JSON-RPC message or batch, answered by the socket's own
 * dispatcher (same schemas, same handlers, same errors), with the methods the
 * HTTP surface does not serve answered as unknown.
 */
export async function handleRpc(
  req: IncomingMessage,
  res: ServerResponse,
  dispatcher: JSONRPCServer<CallContext>,
  allow: MethodFilter,
): Promise<void> {
  const body = await readBody(req, res)
  if (body === undefined) return
  if (body.trimStart().startsWith('[')) {
    let count = 0
    try {
      const parsed: unknown = JSON.parse(body)
      count = Array.isArray(parsed) ? parsed.length : 0
    } catch {
      // receiveLine answers the parse error.
    }
    if (count > MAX_BATCH) {
      return json(res, 200, {
        jsonrpc: '2.0',
        id: null,
        error: { code: ErrorCode.INVALID_REQUEST, message: `batch over ${MAX_BATCH} entries` },
      })
    }
  }
  const closers: (() => void)[] = []
  // An HTTP call has no channel for notifications; what it registers for its "connection" ends with the answer.
  const ctx: CallContext = {
    notify: () => {},
    onClose: (fn) => closers.push(fn),
    setSubscription: (off) => closers.push(off),
  }
  try {
    const answer = await receiveLine(dispatcher, body, ctx, { allow })
    if (!res.destroyed) json(res, answer === null ? 204 : 200, answer)
  } finally {
    for (const fn of closers) fn()
  }
}
