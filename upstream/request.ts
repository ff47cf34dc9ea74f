/**
 * Request bodies: what a client sends to the Responses API, parsed at the boundary and
 * turned into what the ChatGPT Codex backend accepts (docs/codex.md, "What the gateway
 * passes on"). Pure functions; each attempt shapes a fresh copy of the parsed body.
 */
import { responsesBody, type ResponsesBody } from '../protocol/backend.js'

export { responsesBody, type ResponsesBody }

export type ParsedRequest = { ok: true; body: ResponsesBody } | { ok: false; error: string }

export function parseRequestBody(text: string): ParsedRequest {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, error: 'the request body is not JSON' }
  }
  const parsed = responsesBody.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return {
      ok: false,
      error: `the request body is not a Responses API request (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
    }
  }
  return { ok: true, body: parsed.data }
}

export const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const
export type Effort = (typeof EFFORTS)[number]

export interface ModelSpec {
  model: string
  effort?: Effort
  fast: boolean
}

/** `gpt-5.5-high` → effort high; `gpt-5.5-fast` → priority tier; both may be stacked in either order. */
export function splitModel(name: string): ModelSpec {
  let model = name
  let effort: Effort | undefined
  let fast = false
  for (;;) {
    const m = /^(.+)-([a-z]+)$/.exec(model)
    if (!m) break
    const [, base = model, suffix = ''] = m
    if (suffix === 'fast' && !fast) fast = true
    else if (effort === undefined && (EFFORTS as readonly string[]).includes(suffix)) effort = suffix as Effort
    else break
    model = base
  }
  return effort === undefined ? { model, fast } : { model, effort, fast }
}

export interface ShapeOptions {
  /**
   * The conversation moved to another account: the first `stripBefore` input items were
   * made under an account whose encrypted reasoning this one cannot read. 0 = none.
   */
  stripBefore: number
  /** Retry of a 400 cyber_policy on the priority tier: go without it. */
  withoutPriority: boolean
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Drops item_reference items and item ids (store:false keeps nothing to refer to). */
function shapeInput(input: unknown[], stripBefore: number): unknown[] {
  const out: unknown[] = []
  for (const [index, item] of input.entries()) {
    const stripEncrypted = index < stripBefore
    if (!isRecord(item)) {
      out.push(item)
      continue
    }
    if (item.type === 'item_reference') continue
    // Reasoning items are opaque, account-bound state: without their encrypted content they carry nothing.
    if (stripEncrypted && item.type === 'reasoning') continue
    const rest = { ...item }
    delete rest.id
    if (stripEncrypted) delete rest.encrypted_content
    out.push(rest)
  }
  return out
}

export function shapeBody(body: ResponsesBody, opts: ShapeOptions): Record<string, unknown> {
  const spec = splitModel(body.model)
  const out: Record<string, unknown> = { ...body, model: spec.model, store: false, stream: true }
  if (spec.effort) out.reasoning = { ...(body.reasoning ?? {}), effort: spec.effort }
  if (spec.fast) out.service_tier = 'priority'
  if (opts.withoutPriority && out.service_tier === 'priority') delete out.service_tier
  if (Array.isArray(body.input)) out.input = shapeInput(body.input, opts.stripBefore)
  return out
}

/** True when the request asked for the priority tier (explicitly or by the -fast suffix). */
export function wantsPriority(body: ResponsesBody): boolean {
  return body.service_tier === 'priority' || splitModel(body.model).fast
}

/** OpenCode calls `baseURL + "/responses"`; anything ending so goes to the Codex endpoint. */
export function isResponsesUrl(url: URL): boolean {
  return /\/responses\/?$/.test(url.pathname)
}

export function upstreamUrl(chatgptBase: string): string {
  return `${chatgptBase}/codex/responses`
}
