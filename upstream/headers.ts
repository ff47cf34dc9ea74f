/**
 * The headers of a request to the backend: the client's own, with only what the pool owns
 * replaced. Each client keeps its identity (originator, user-agent, session headers) so the
 * backend sees the real client it is (docs/codex.md, "What the gateway passes on").
 */
import type { TokenResult } from '../protocol/methods.js'
import type { HeaderSource } from './types.js'

/** What a caller's request must never carry on: the pool owns auth, the framing is re-made. */
const OWNED = ['authorization', 'chatgpt-account-id', 'content-length', 'host', 'connection', 'transfer-encoding']

/** OpenAI API-key headers, and the stale ones older plugins added (no current client sends them). */
const NOT_CHATGPT = [
  'x-api-key',
  'openai-organization',
  'openai-project',
  'openai-beta',
  'session_id',
  'conversation_id',
]

const OPENCODE_SKIP = new Set([...OWNED, ...NOT_CHATGPT])

/**
 * The caller's headers as a plain object (lower-case names, repeated ones joined as fetch
 * joins them), less `skip`. A plain object, not Headers: on Node 20 building and reading
 * Headers costs the gateway more per request than the hop itself.
 */
function copyWithout(caller: HeaderSource, skip: ReadonlySet<string>): Record<string, string> {
  // No prototype: a header named like an Object property is just a header.
  const out = Object.create(null) as Record<string, string>
  if (caller instanceof Headers) {
    caller.forEach((value, name) => {
      if (!skip.has(name)) out[name] = value
    })
    return out
  }
  for (const key of Object.keys(caller)) {
    const value = caller[key]
    const name = key.toLowerCase()
    if (value === undefined || skip.has(name)) continue
    out[name] = typeof value === 'string' ? value : value.join(', ')
  }
  return out
}

function withToken(h: Record<string, string>, token: TokenResult): Record<string, string> {
  h.authorization = `Bearer ${token.accessToken}`
  if (token.accountId) h['chatgpt-account-id'] = token.accountId
  return h
}

/** OpenCode's ChatGPT path: its own originator, user-agent and session-id/x-session-* headers, as they are. */
export function openCodeHeaders(caller: HeaderSource, token: TokenResult): Record<string, string> {
  const h = copyWithout(caller, OPENCODE_SKIP)
  h.originator ??= 'opencode'
  h.accept = 'text/event-stream'
  h['content-type'] = 'application/json'
  return withToken(h, token)
}

const skipSets = new WeakMap<readonly string[], ReadonlySet<string>>()

/** The Codex CLI through the gateway: everything of its own passes, `drop` names the gateway's own (its secret). */
export function passThroughHeaders(
  caller: HeaderSource,
  token: TokenResult | undefined,
  drop: readonly string[],
): Record<string, string> {
  let skip = skipSets.get(drop)
  if (!skip) skipSets.set(drop, (skip = new Set([...OWNED, ...drop])))
  const h = copyWithout(caller, skip)
  return token ? withToken(h, token) : h
}
