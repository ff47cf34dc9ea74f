/**
 * The two clients the backend is called for. OpenCode (through the plugin) gets the
 * ChatGPT path's shape whatever credential marker it holds; the Codex CLI (through the
 * gateway) is passed through as it is: only `authorization` and `chatgpt-account-id` are
 * replaced, its body goes on byte for byte unless the conversation moved account.
 */
import { toChatGptShape } from './chatgpt-shape.js'
import { openCodeHeaders, passThroughHeaders } from './headers.js'
import type { ClientProfile, ResponsesRequest } from './loop.js'
import type { LimitedAnswer } from './outcome.js'
import { shapeBody, type ShapeOptions } from './request.js'

export function openCodeProfile(limited: LimitedAnswer): ClientProfile {
  return {
    headers: openCodeHeaders,
    body: (req, opts) => JSON.stringify(shapeBody(toChatGptShape(req.body), opts)),
    limited,
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Encrypted reasoning is bound to the account that made it: items before `stripBefore`
 * came from another account, so their reasoning goes (ids and all else stay, as Codex sent them).
 */
function codexBody(req: ResponsesRequest, opts: ShapeOptions): string | Uint8Array {
  // Long conversations make large bodies: the bytes Codex sent go on as they are, not re-encoded.
  if (opts.stripBefore === 0 && !opts.withoutPriority) return req.bytes ?? req.text
  const body: Record<string, unknown> = req.body
  const out: Record<string, unknown> = { ...body }
  if (opts.withoutPriority && out.service_tier === 'priority') delete out.service_tier
  if (Array.isArray(body.input) && opts.stripBefore > 0) {
    out.input = body.input.filter((item, i) => !(i < opts.stripBefore && isRecord(item) && item.type === 'reasoning'))
  }
  return JSON.stringify(out)
}

/** `drop`: request headers that belong to the gateway (its secret) and must not reach the backend. */
export function codexProfile(limited: LimitedAnswer, drop: readonly string[]): ClientProfile {
  return {
    headers: (caller, token) => passThroughHeaders(caller, token, drop),
    body: codexBody,
    limited,
  }
}
