/**
 * Reading an answer into a report: the token counts of the `response.completed` event
 * (token.report's `usage`), taken from a copy of the stream as it passes, so the caller's
 * stream is never held back.
 */
import { completedUsage } from '../protocol/backend.js'
import { parseSse, type StreamTap } from './response.js'

export interface Usage {
  inputTokens: number
  outputTokens: number
  cachedTokens?: number
  reasoningTokens?: number
}

/** `response.usage` of a `response.completed` event's data, or undefined when it has none (or not in that form). */
export function usageFromCompleted(data: unknown): Usage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const d = data as { type?: unknown; response?: { usage?: unknown } }
  if (d.type !== 'response.completed' && d.type !== 'response.done') return undefined
  const parsed = completedUsage.safeParse(d.response?.usage)
  if (!parsed.success) return undefined
  const u = parsed.data
  const out: Usage = { inputTokens: u.input_tokens, outputTokens: u.output_tokens }
  const cached = u.input_tokens_details?.cached_tokens
  const reasoning = u.output_tokens_details?.reasoning_tokens
  if (cached !== undefined) out.cachedTokens = cached
  if (reasoning !== undefined) out.reasoningTokens = reasoning
  return out
}

/** One SSE event can be large (the completed event repeats the output); beyond this it is not read. */
const EVENT_MAX = 8 * 1024 * 1024

/** Feeds SSE text as it arrives; remembers the usage of the last completed event. */
export class UsageReader {
  private pending = ''
  private skipping = false
  private readonly decoder = new TextDecoder()
  usage: Usage | undefined

  push(chunk: Uint8Array): void {
    this.pending += this.decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n')
    for (let end = this.pending.indexOf('\n\n'); end >= 0; end = this.pending.indexOf('\n\n')) {
      const block = this.pending.slice(0, end)
      this.pending = this.pending.slice(end + 2)
      if (this.skipping) this.skipping = false
      else this.read(block)
    }
    if (this.pending.length > EVENT_MAX) {
      this.pending = ''
      this.skipping = true
    }
  }

  end(): Usage | undefined {
    this.pending += this.decoder.decode()
    if (!this.skipping && this.pending.trim()) this.read(this.pending)
    this.pending = ''
    return this.usage
  }

  private read(block: string): void {
    if (!block.includes('response.completed') && !block.includes('response.done')) return
    for (const e of parseSse(block)) {
      try {
        this.usage = usageFromCompleted(JSON.parse(e.data)) ?? this.usage
      } catch {
        // not JSON: not ours to read
      }
    }
  }
}

/** A tap (response.ts) that reads the usage of what passes and calls `onEnd` once, with how it ended. */
export function usageTap(onEnd: (usage: Usage | undefined, completed: boolean) => void): StreamTap {
  const usage = new UsageReader()
  let ended = false
  return {
    chunk: (value) => usage.push(value),
    end(completed) {
      if (ended) return
      ended = true
      onEnd(usage.end(), completed)
    },
  }
}

/**
 * The body as it arrives, chunk for chunk, with `onEnd` called once when it ends, fails
 * or is cancelled by the reader (cancelling goes upstream), with the usage seen.
 */
export function observeUsage(
  body: ReadableStream<Uint8Array>,
  onEnd: (usage: Usage | undefined, completed: boolean) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  const tap = usageTap(onEnd)
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) {
            controller.close()
            tap.end(true)
            return
          }
          tap.chunk(value)
          controller.enqueue(value)
        } catch (err) {
          controller.error(err)
          tap.end(false)
        }
      },
      async cancel(reason) {
        tap.end(false)
        await reader.cancel(reason).catch(() => undefined)
      },
    },
    // No read-ahead: a chunk leaves when the reader asks, so nothing piles up here.
    { highWaterMark: 0 },
  )
}
