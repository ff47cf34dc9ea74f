/**
 * OpenCode shapes its requests by the credential type it holds for `openai`: with an
 * `oauth` credential it sends the ChatGPT path's shape (the system prompt in
 * `instructions`, no `temperature`, a title request on a model that path accepts); with an
 * `api` credential the API-key shape (the system prompt as `developer`/`system` input
 * messages, `temperature`, the small `gpt-5.4-nano` title model, which the ChatGPT path
 * does not serve). Users who signed in before the `oauth` marker hold the `api` one, so
 * the plugin turns that shape into the ChatGPT path's here, whichever marker it is.
 * Observed with the real OpenCode 1.18.33; test/real-clients/opencode.test.ts compares the two.
 */
import type { ResponsesBody } from './request.js'

/** The API-key path's title model, and the ChatGPT path's small model that stands in for it. */
export const API_TITLE_MODEL = 'gpt-5.4-nano'
export const CHATGPT_TITLE_MODEL = 'gpt-5.4-mini'

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The text of a system/developer message, or undefined when it is not one (or not plain text). */
function systemText(item: unknown): string | undefined {
  if (!isRecord(item) || (item.type !== undefined && item.type !== 'message')) return undefined
  if (item.role !== 'system' && item.role !== 'developer') return undefined
  if (typeof item.content === 'string') return item.content
  if (!Array.isArray(item.content)) return undefined
  const parts: string[] = []
  for (const part of item.content) {
    if (!isRecord(part) || (part.type !== 'input_text' && part.type !== 'text') || typeof part.text !== 'string')
      return undefined
    parts.push(part.text)
  }
  return parts.join('\n')
}

export function toChatGptShape(body: ResponsesBody): ResponsesBody {
  const out: ResponsesBody = { ...body }
  delete out.temperature
  if (out.model === API_TITLE_MODEL) out.model = CHATGPT_TITLE_MODEL
  if (typeof out.instructions === 'string' || !Array.isArray(out.input)) return out
  const system: string[] = []
  let i = 0
  for (; i < out.input.length; i++) {
    const text = systemText(out.input[i])
    if (text === undefined) break
    system.push(text)
  }
  if (system.length === 0) return out
  out.instructions = system.join('\n\n')
  out.input = out.input.slice(i)
  return out
}
