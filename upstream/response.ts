/**
 * Response handling: what the backend answered, in the forms the rest of the plugin
 * needs — the headers token.report wants, the body as text for a failure, the SSE stream
 * turned into JSON for a non-streaming caller, and a stream guarded against going silent.
 */

import type { HeaderReader } from './types.js'

/** token.report's body limit (protocol/methods.ts). */
export const REPORT_BODY_MAX = 64 * 1024
/** Failure bodies are small; a larger one is cut here rather than buffered without end. */
const ERROR_BODY_MAX = 1024 * 1024

/** x-codex-* and the other limit families (x-<name>-primary-...), plus retry-after. */
export function reportHeaders(headers: HeaderReader): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    const n = name.toLowerCase()
    if (
      n.startsWith('x-codex-') ||
      /^x-[a-z0-9-]+-(primary|secondary)-/.test(n) ||
      n === 'retry-after' ||
      n === 'retry-after-ms'
    ) {
      out[n] = value
    }
  })
  return out
}

export async function readText(res: Response, max = ERROR_BODY_MAX): Promise<string> {
  if (!res.body) return ''
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      if (text.length >= max) {
        void reader.cancel().catch(() => undefined)
        break
      }
    }
  } finally {
    reader.releaseLock()
  }
  return text + decoder.decode()
}

/** True for the 400 the backend gives when the priority tier is refused by policy. */
export function isCyberPolicy(status: number, body: string): boolean {
  return status === 400 && /cyber_policy/i.test(body)
}

/** Headers a rebuilt Response may carry: the body is already decoded and re-framed. */
export function passHeaders(headers: HeaderReader): Headers {
  const h = new Headers()
  headers.forEach((value, name) => {
    if (!REFRAMED.has(name.toLowerCase())) h.append(name, value)
  })
  return h
}

const REFRAMED = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

export interface SseEvent {
  event?: string
  data: string
}

/** Splits an SSE text into events (blank-line separated; data lines joined). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = []
  for (const block of text.replace(/\r\n/g, '\n').split('\n\n')) {
    let event: string | undefined
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') })
  }
  return events
}

export type Completed = { ok: true; response: unknown } | { ok: false; message: string }

/** The `response.completed` event's `response`, for a caller that did not ask for a stream. */
export function completedResponse(sse: string): Completed {
  let failure: string | undefined
  for (const e of parseSse(sse)) {
    let data: unknown
    try {
      data = JSON.parse(e.data)
    } catch {
      continue
    }
    if (typeof data !== 'object' || data === null) continue
    const d = data as { type?: unknown; response?: unknown; message?: unknown }
    const type = typeof d.type === 'string' ? d.type : e.event
    if ((type === 'response.completed' || type === 'response.done') && d.response !== undefined) {
      return { ok: true, response: d.response }
    }
    if (type === 'response.failed' || type === 'error') {
      const r = d.response as { error?: { message?: unknown } } | undefined
      const m = r?.error?.message ?? d.message
      failure = typeof m === 'string' ? m : `the backend sent ${type}`
    }
  }
  return { ok: false, message: failure ?? 'the backend stream ended without response.completed' }
}

/** Sees a body go past: each chunk, then once how it ended (completed, or failed/cancelled). */
export interface StreamTap {
  chunk(value: Uint8Array): void
  end(completed: boolean): void
}

/**
 * Passes a body through, erroring it (and calling onIdle, which aborts the upstream
 * request) when no chunk arrives for idleMs. A reader that cancels cancels upstream.
 * `tap` sees what passes (one stream for both: each layer costs every chunk a hop).
 */
export function guardIdle(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  onIdle: () => void,
  tap?: StreamTap,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let timer: ReturnType<typeof setTimeout> | undefined
  const clear = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      clear()
      timer = setTimeout(() => {
        onIdle()
        tap?.end(false)
        controller.error(new Error(`the backend stream was silent for ${idleMs} ms`))
      }, idleMs)
      try {
        const { done, value } = await reader.read()
        clear()
        if (done) {
          controller.close()
          tap?.end(true)
        } else {
          tap?.chunk(value)
          controller.enqueue(value)
        }
      } catch (err) {
        clear()
        tap?.end(false)
        try {
          controller.error(err)
        } catch {
          // already errored by the idle timer
        }
      }
    },
    async cancel(reason) {
      clear()
      tap?.end(false)
      await reader.cancel(reason).catch(() => undefined)
    },
  })
}
