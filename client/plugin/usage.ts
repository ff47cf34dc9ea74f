/**
 * Token counts of one answer, for token.report's `usage`: read from the backend's
 * `response.completed` event (its `response.usage`). Pure functions over web-standard
 * types, so they move with the code that reads the backend's answer.
 */
import type { ReportUsage } from '../../protocol/usage.js'

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined
}

function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null && Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined
}

/**
 * The usage of a `response.completed` (or `response.done`) event's data, or of the
 * `response` object itself; undefined when it carries no valid counts.
 */
export function usageFromCompleted(event: unknown): ReportUsage | undefined {
  const type = field(event, 'type')
  const response = type === 'response.completed' || type === 'response.done' ? field(event, 'response') : event
  const usage = field(response, 'usage')
  const inputTokens = count(field(usage, 'input_tokens'))
  const outputTokens = count(field(usage, 'output_tokens'))
  if (inputTokens === undefined || outputTokens === undefined) return undefined
  const out: ReportUsage = { inputTokens, outputTokens }
  const cached = count(field(field(usage, 'input_tokens_details'), 'cached_tokens'))
  const reasoning = count(field(field(usage, 'output_tokens_details'), 'reasoning_tokens'))
  if (cached !== undefined) out.cachedTokens = cached
  if (reasoning !== undefined) out.reasoningTokens = reasoning
  return out
}

/** A `response.completed` event is far smaller than this; a longer pending line is not one we read. */
const MAX_PENDING = 4 * 1024 * 1024

/**
 * Passes an SSE stream through unchanged while looking for `response.completed`;
 * `onEnd` runs once when the stream ends, fails or is cancelled, with the usage if seen.
 */
export function watchUsage(
  body: ReadableStream<Uint8Array>,
  onEnd: (usage: ReportUsage | undefined) => void,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder()
  let pending = ''
  let usage: ReportUsage | undefined
  let ended = false
  const end = (): void => {
    if (ended) return
    ended = true
    onEnd(usage)
  }
  const scan = (text: string): void => {
    pending += text
    let nl: number
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl).replace(/\r$/, '')
      pending = pending.slice(nl + 1)
      // The counts arrive once, in the data line of the completed event.
      if (!line.startsWith('data:') || !line.includes('"usage"')) continue
      try {
        usage = usageFromCompleted(JSON.parse(line.slice(5))) ?? usage
      } catch {
        // not JSON: not ours to judge
      }
    }
    if (pending.length > MAX_PENDING) pending = ''
  }
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let step: Awaited<ReturnType<typeof reader.read>>
      try {
        step = await reader.read()
      } catch (err) {
        end()
        controller.error(err)
        return
      }
      if (step.done) {
        scan(decoder.decode() + '\n')
        end()
        controller.close()
        return
      }
      controller.enqueue(step.value)
      scan(decoder.decode(step.value, { stream: true }))
    },
    async cancel(reason) {
      end()
      await reader.cancel(reason).catch(() => undefined)
    },
  })
}

/**
 * The same answer, its body watched: `report` runs once the body is through (or fails,
 * or the caller cancels it), with the token counts when the backend sent them.
 */
export function reportWhenDone(res: Response, report: (usage: ReportUsage | undefined) => void): Response {
  if (!res.body) {
    report(undefined)
    return res
  }
  return new Response(watchUsage(res.body, report), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  })
}
