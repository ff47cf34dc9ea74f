/**
 * The headers of a request to the backend: the client's own, with only what the pool owns
 * replaced. Each client keeps its identity (originator, user-agent, session headers) so the
 * backend sees the real client it is (docs/codex.md, "What the gateway passes on").
 */
import type { TokenResult } from '../protocol/methods.js'

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

function withToken(h: Headers, token: TokenResult): Headers {
  h.set('authorization', `Bearer ${token.accessToken}`)
  if (token.accountId) h.set('chatgpt-account-id', token.accountId)
  return h
}

/** OpenCode's ChatGPT path: its own originator, user-agent and session-id/x-session-* headers, as they are. */
export function openCodeHeaders(caller: Headers, token: TokenResult): Headers {
  const h = new Headers(caller)
  for (const name of [...OWNED, ...NOT_CHATGPT]) h.delete(name)
  if (!h.has('originator')) h.set('originator', 'opencode')
  h.set('accept', 'text/event-stream')
  h.set('content-type', 'application/json')
  return withToken(h, token)
}

/** The Codex CLI through the gateway: everything of its own passes, `drop` names the gateway's own (its secret). */
export function passThroughHeaders(caller: Headers, token: TokenResult | undefined, drop: readonly string[]): Headers {
  const h = new Headers(caller)
  for (const name of [...OWNED, ...drop]) h.delete(name)
  return token ? withToken(h, token) : h
}
