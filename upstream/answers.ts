/**
 * The plugin's own answers, as real HTTP responses with an OpenAI-style JSON error body
 * (`{error:{message,type,code}}`): the AI SDK shows `error.message` and OpenCode prints it.
 *
 * OpenCode 1.18.33 retries an error whose status is 404, 408, 409, 429 or >= 500, or whose
 * message or body matches its "transient" patterns (RETRY_TRIGGERS below, copied from its
 * retry module), up to 5 times, each time waiting Retry-After (honoured up to 2^31-1 ms).
 * A 429 carrying the reset time therefore parks `opencode run` for hours (observed: it
 * sleeps 3600 s on `retry-after: 3600`); without Retry-After it still makes six tries over
 * ~75 s. So "every account is limited" uses a status OpenCode does not retry and a text
 * none of those patterns match: the run ends at once with our message
 * (test/plugin/units.test.ts and test/real-clients/opencode.test.ts check both).
 */
import type { NoEligibleData } from '../protocol/error-data.js'

/** OpenCode's retry patterns, applied to the message and to the raw body. */
export const RETRY_TRIGGERS: readonly RegExp[] = [
  /429|500|502|503|504|524/i,
  /rate increased too quickly|rate limit|rate-limit|rate_limit|too many requests/i,
  /overloaded|service unavailable|service_unavailable|service-unavailable|internal error|internal_error|internal server error|server error|server_error|server-error|provider returned error|provider_returned_error|provider-returned-error/i,
  /terminated|fetch failed|failed to fetch|network[-_\s]error|upstream connect|connection error|connection refused|connection lost|socket connection was closed|socket hang up|reset before headers|getaddrinfo|enotfound|eai_again|econnrefused|econnreset|etimedout/i,
  /^timeout$|\b(?:request|response|connection|network|stream|read) (?:timeout|timed out|time out)\b/i,
  /try your request again|retry your request|resource exhausted|resource_exhausted/i,
  /\btry again (?:later|in\b)|\b(?:currently|temporarily) at capacity\b/i,
]
/** Statuses OpenCode retries for the openai provider (AI SDK isRetryable, plus 404). */
export function openCodeRetries(status: number): boolean {
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500
}
export function triggersRetry(text: string): boolean {
  return RETRY_TRIGGERS.some((re) => re.test(text))
}

/** Default status for "every account is limited": refused for now, and not retried by OpenCode. */
export const ALL_LIMITED_STATUS = 403

export interface ErrorBody {
  message: string
  type: string
  code: string
  [extra: string]: string | number | undefined
}

export function jsonError(status: number, error: ErrorBody, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { 'content-type': 'application/json', 'x-opencode-multi-auth': 'plugin', ...headers },
  })
}

/** 2026-11-28 18:50 UTC: minutes only, so no digit run OpenCode would mistake for a status. */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

function duration(ms: number): string {
  const min = Math.max(1, Math.ceil(ms / 60_000))
  const d = Math.floor(min / 1440)
  const h = Math.floor((min % 1440) / 60)
  const m = min % 60
  return [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ')
}

const SAFE_LIMITED =
  'opencode-multi-auth: every ChatGPT account has reached its usage limit. See `opencode-multi-auth status` for when each one resets.'

/** Every account is out until `resetAt` (epoch ms, when known). */
export function allLimited(opts: { resetAt?: number; accounts: number; now: number; status?: number }): Response {
  const status = opts.status ?? ALL_LIMITED_STATUS
  const when = opts.resetAt && opts.resetAt > opts.now ? opts.resetAt : undefined
  const what = opts.accounts === 1 ? 'your ChatGPT account has' : `all ${opts.accounts} ChatGPT accounts have`
  let message =
    `opencode-multi-auth: ${what} reached the usage limit` +
    (when ? `; the first one resets at ${clock(when)} (in ${duration(when - opts.now)}).` : '.') +
    ' Add another account with `opencode-multi-auth add`, or see `opencode-multi-auth status`.'
  const resetsAt = when ? new Date(Math.ceil(when / 1000) * 1000).toISOString().replace('.000Z', 'Z') : undefined
  const body = (m: string): ErrorBody => ({
    message: m,
    type: 'usage_limit_reached',
    code: 'all_accounts_limited',
    resets_at: resetsAt,
  })
  // Only a 429 may be retried by OpenCode (opt-in: wait for Retry-After); otherwise never trigger one.
  if (status !== 429 && (triggersRetry(message) || triggersRetry(JSON.stringify({ error: body(message) }))))
    message = SAFE_LIMITED
  const headers: Record<string, string> = {}
  if (when) {
    headers['retry-after'] = String(Math.ceil((when - opts.now) / 1000))
    headers['x-opencode-multi-auth-resets-at'] = String(when)
  }
  const error = body(message)
  if (status !== 429 && triggersRetry(JSON.stringify({ error }))) delete error.resets_at
  return jsonError(status, error, headers)
}

export function noAccounts(): Response {
  return jsonError(401, {
    message:
      'opencode-multi-auth: no ChatGPT account is signed in. Add one with `opencode-multi-auth add` ' +
      '(or `opencode auth login`, provider OpenAI, method "Sign in with ChatGPT (opencode-multi-auth)").',
    type: 'invalid_request_error',
    code: 'no_accounts',
  })
}

/** Accounts exist but none can serve and none frees up by itself (signed out, disabled, ...). */
export function noUsableAccount(data: NoEligibleData): Response {
  const states = [...new Set(data.accounts.map((a) => a.health))].join(', ')
  const why = triggersRetry(states) ? '' : ` (${states})`
  return jsonError(401, {
    message:
      `opencode-multi-auth: none of your ChatGPT accounts can serve this request${why}. ` +
      'Sign in again with `opencode-multi-auth add`, or see `opencode-multi-auth status`.',
    type: 'invalid_request_error',
    code: 'no_usable_account',
  })
}

export function daemonUnavailable(message: string): Response {
  return jsonError(503, {
    message: `opencode-multi-auth: ${message}`,
    type: 'daemon_unavailable',
    code: 'daemon_unavailable',
  })
}

export function badRequest(message: string): Response {
  return jsonError(400, {
    message: `opencode-multi-auth: ${message}`,
    type: 'invalid_request_error',
    code: 'invalid_request',
  })
}

export function upstreamTimeout(ms: number): Response {
  return jsonError(504, {
    message: `opencode-multi-auth: the ChatGPT backend sent no response headers within ${Math.round(ms / 1000)} s`,
    type: 'upstream_timeout',
    code: 'upstream_timeout',
  })
}

export function notCompleted(message: string): Response {
  return jsonError(502, {
    message: `opencode-multi-auth: ${message}`,
    type: 'upstream_error',
    code: 'no_completed_response',
  })
}
