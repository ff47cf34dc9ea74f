/**
 * Classification of token-endpoint failures (docs/architecture.md#invariants, 3).
 *
 * The verdict matters more than anything else here: a permanent failure marks
 * the account `auth_invalid` and stops all retries (retrying a spent refresh
 * token can only make things worse); a transient one is retried and then cooled
 * down. The old plugin retried `invalid_grant` forever and recorded refresh
 * failures as rate limits; neither can happen through this module.
 *
 * Messages end up in logs and RPC errors, so they are built only from the HTTP
 * status, a recognised issuer error code and a redacted, truncated description.
 * Request bodies are never echoed.
 */
import { redactString } from '../log/redact.js'

/** Issuer error codes that mean the grant is dead: only a new sign-in helps. */
export const GRANT_ERROR_CODES = [
  'invalid_grant',
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'token_expired',
  'token_invalidated',
] as const

export type GrantErrorCode = (typeof GRANT_ERROR_CODES)[number]

export type RefreshErrorCode =
  | GrantErrorCode
  /** 401 without a recognised grant code. Permanent. */
  | 'unauthorized'
  /** 403. Permanent. */
  | 'forbidden'
  /** 4xx carrying an RFC 6749 request error (invalid_client, unsupported_grant_type, ...). Permanent. */
  | 'invalid_request'
  /** 429 from the issuer. Transient — and never a model rate limit. */
  | 'rate_limited_by_issuer'
  /** 5xx. Transient. */
  | 'server_error'
  /** No answer within the per-attempt timeout (or HTTP 408). Transient. */
  | 'timeout'
  /** Connection refused/reset, DNS, TLS, a body that failed mid-read. Transient. */
  | 'network'
  /** An answer we cannot use: a 200 without an access token, an unrecognised 4xx. Transient. */
  | 'bad_response'

const GRANT_CODES: ReadonlySet<string> = new Set(GRANT_ERROR_CODES)

// RFC 6749 §5.2 errors that describe the request itself: sending the same
// request again cannot succeed, so retrying only adds load.
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
])

export interface RefreshErrorOptions {
  permanent: boolean
  status?: number
  /** The issuer's own error code, when it sent a plausible one. */
  issuerCode?: string
}

export class RefreshError extends Error {
  readonly code: RefreshErrorCode
  readonly permanent: boolean
  readonly status?: number
  readonly issuerCode?: string
  /** Token-endpoint calls made before giving up; set by the OAuth client. */
  attempts = 1

  constructor(code: RefreshErrorCode, message: string, options: RefreshErrorOptions) {
    super(message)
    this.name = 'RefreshError'
    this.code = code
    this.permanent = options.permanent
    if (options.status !== undefined) this.status = options.status
    if (options.issuerCode !== undefined) this.issuerCode = options.issuerCode
  }
}

export function isRefreshError(err: unknown): err is RefreshError {
  return err instanceof RefreshError
}

interface IssuerError {
  code?: string
  description?: string
}

/**
 * Classifies a non-2xx token-endpoint answer. `secrets` are strings (the refresh
 * token sent, the code verifier) scrubbed from the description in case the
 * issuer echoes them back.
 */
export function classifyHttpFailure(status: number, bodyText: string, secrets: readonly string[] = []): RefreshError {
  const issuer = parseIssuerError(bodyText)
  const known = issuer.codes.find((c) => GRANT_CODES.has(c))
  const requestCode = issuer.codes.find((c) => REQUEST_ERROR_CODES.has(c))
  const detail: IssuerError = { code: known ?? requestCode ?? issuer.codes[0], description: issuer.description }

  // A grant code wins over the status: it is the issuer telling us the token
  // itself is dead, whatever status a proxy in between chose.
  if (known) return make(known as GrantErrorCode, true, status, detail, secrets)
  if (status === 401) return make('unauthorized', true, status, detail, secrets)
  if (status === 403) return make('forbidden', true, status, detail, secrets)
  if (status === 429) return make('rate_limited_by_issuer', false, status, detail, secrets)
  if (status >= 500) return make('server_error', false, status, detail, secrets)
  if (status === 408) return make('timeout', false, status, detail, secrets)
  if (requestCode && status >= 400) return make('invalid_request', true, status, detail, secrets)
  // An unrecognised 4xx (a WAF page, a 404 from a misrouted proxy): a false
  // "permanent" would force a needless re-login, a false "transient" costs a
  // few requests and a cooldown, so lean transient.
  return make('bad_response', false, status, detail, secrets)
}

/** A 2xx whose body is unusable. Transient: the issuer may answer properly next time. */
export function badResponse(status: number, reason: string, permanent = false): RefreshError {
  return new RefreshError('bad_response', `Token endpoint returned an unusable response (HTTP ${status}): ${reason}`, {
    permanent,
    status,
  })
}

/** Classifies a thrown fetch/body-read failure. Always transient. */
export function classifyThrown(err: unknown, timedOut: boolean, timeoutMs: number): RefreshError {
  if (err instanceof RefreshError) return err
  if (timedOut) {
    return new RefreshError('timeout', `Token endpoint did not answer within ${timeoutMs} ms`, { permanent: false })
  }
  // Only the errno-style cause code is reported: fetch's messages can carry
  // URLs and addresses, never tokens, but there is no need to find out.
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined
  const causeCode = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined
  const suffix = typeof causeCode === 'string' && /^[A-Z0-9_]{2,40}$/.test(causeCode) ? ` (${causeCode})` : ''
  return new RefreshError('network', `Token endpoint unreachable${suffix}`, { permanent: false })
}

function make(
  code: RefreshErrorCode,
  permanent: boolean,
  status: number,
  issuer: IssuerError,
  secrets: readonly string[],
): RefreshError {
  const issuerCode = issuer.code
  let message = `Token endpoint rejected the request: ${code} (HTTP ${status}`
  if (issuerCode && issuerCode !== code) message += `, issuer error ${issuerCode}`
  message += ')'
  const description = issuer.description ? sanitizeDescription(issuer.description, secrets) : ''
  if (description) message += `: ${description}`
  return new RefreshError(code, message, { permanent, status, ...(issuerCode ? { issuerCode } : {}) })
}

/**
 * Reads the shapes the issuer is known to use:
 * `{"error":"invalid_grant","error_description":...}`,
 * `{"error":{"code":"refresh_token_reused","message":...}}`,
 * `{"error":{"type":...,"message":...}}`. Returns every plausible code, most
 * specific first, so a known code anywhere in the body is found.
 */
function parseIssuerError(bodyText: string): { codes: string[]; description?: string } {
  let body: unknown
  try {
    body = JSON.parse(bodyText)
  } catch {
    // Non-JSON bodies (HTML error pages) are dropped: they help nobody in a log.
    return { codes: [] }
  }
  if (typeof body !== 'object' || body === null) return { codes: [] }
  const top = body as Record<string, unknown>
  const err = top.error
  const nested = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : undefined
  const candidates = [typeof err === 'string' ? err : undefined, nested?.code, nested?.type, top.code]
  const codes = candidates.filter(isPlausibleCode).map((c) => c.toLowerCase())
  const description = [top.error_description, nested?.message, top.message].find(
    (d): d is string => typeof d === 'string' && d.length > 0,
  )
  return description === undefined ? { codes } : { codes, description }
}

// Issuer codes are short snake_case words. Anything else is not echoed, since a
// confused issuer could put anything in that field.
function isPlausibleCode(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z][A-Za-z_.-]{0,63}$/.test(v)
}

const MAX_DESCRIPTION = 200

function sanitizeDescription(text: string, secrets: readonly string[]): string {
  const flat = redactString(text, secrets).replace(/\s+/g, ' ').trim()
  return flat.length > MAX_DESCRIPTION ? `${flat.slice(0, MAX_DESCRIPTION)}…` : flat
}
