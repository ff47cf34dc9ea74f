/**
 * The one redactor: every log transport runs its entries through it, and free
 * text that leaves the daemon from outside sources (issuer error descriptions)
 * goes through `redactString`. Components must still avoid logging secrets at
 * all; this is the last line of defence, so it errs on the side of masking.
 *
 * What it masks, at every depth, top-level keys included:
 * - any string under a secret-named key (tokens, secrets, passphrases,
 *   passwords, cookies, authorization, code verifiers, OAuth codes — `code`
 *   keeps a plain one-case word such as `invalid_grant`, since that is an
 *   error code, never a credential);
 * - in every string: JWTs (even truncated), `Bearer …`, `sk-…`/`rt_…` keys,
 *   `token=…`-style parameters, caller-listed secrets, and long opaque runs
 *   that look random (see `looksOpaque`);
 * - values nested deeper than MAX_DEPTH (replaced, never written whole) and
 *   cycles.
 * What it leaves readable: aliases, emails, paths (split at `/` and `.`, each
 * piece is short), ISO dates, UUIDs (request and login ids), error codes.
 */

export const REDACTED = '[redacted]'
export const TRUNCATED = '[truncated]'
export const MAX_DEPTH = 6

const PATTERNS: Array<[RegExp, (m: string, ...groups: string[]) => string]> = [
  // JWTs always start with base64url('{"') = "eyJ"; match even a truncated one.
  [/eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g, () => REDACTED],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, (_m, bearer) => `${bearer}${REDACTED}`],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, () => REDACTED],
  [/\brt_[A-Za-z0-9._-]{8,}/g, () => REDACTED],
  // key=value and "key": "value" forms inside text (query strings, form bodies, JSON in messages).
  [
    /\b((?:access|refresh|id)_?token|token|code|code_verifier|client_secret|passphrase|password|secret)("?\s*[=:]\s*"?)([^\s"&,;}]+)/gi,
    (_m, key, sep) => `${key}${sep}${REDACTED}`,
  ],
]

/** A run of token alphabet: what an opaque credential is made of. */
const RUN = /[A-Za-z0-9_\-+/=~.]{20,}/g
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A credential without a known prefix: a piece (between `/` and `.`) of at
 * least 20 characters with digits and letters, and either both letter cases or
 * at least 32 characters. Readable words (`refresh_token_invalidated`), aliases
 * (`work-account-2`), path segments and UUIDs do not qualify.
 */
function looksOpaque(run: string): boolean {
  return run.split(/[/.]/).some((piece) => {
    if (piece.length < 20 || UUID.test(piece)) return false
    const digits = /\d/.test(piece)
    const letters = /[A-Za-z]/.test(piece)
    const mixedCase = /[a-z]/.test(piece) && /[A-Z]/.test(piece)
    return digits && letters && (mixedCase || piece.length >= 32)
  })
}

/** Removes known secrets (at least 8 characters), secret-shaped substrings and opaque runs from text. */
export function redactString(text: string, secrets: readonly string[] = []): string {
  let out = text
  for (const s of secrets) {
    // Short strings would redact ordinary words and are not credentials anyway.
    if (s.length >= 8) out = out.split(s).join(REDACTED)
  }
  for (const [re, to] of PATTERNS) out = out.replace(re, to as (m: string, ...g: unknown[]) => string)
  return out.replace(RUN, (m) => (looksOpaque(m) ? REDACTED : m))
}

const SECRET_KEY =
  /^(?:(?:access|refresh|id)_?tokens?|tokens?|authorization|cookies?|set-cookie|passphrase|password|passwd|secret|client_?secret|code_?verifier|api_?key|bearer|credentials?)$|(?:token|secret|passphrase|password)$/i
/** Error codes (`invalid_grant`, `timeout`, `ENOSPC`) are one-case words; an OAuth code is random. */
const PLAIN_CODE = /^(?:[a-z]+(?:[_.-][a-z0-9]+)*|[A-Z]+(?:[_.-][A-Z0-9]+)*)$/

function secretKey(key: string, value: unknown): boolean {
  if (SECRET_KEY.test(key)) return true
  if (/^(?:code|auth_?code|authorization_?code|device_?code)$/i.test(key)) {
    return !(typeof value === 'string' && value.length <= 32 && PLAIN_CODE.test(value))
  }
  return false
}

function walk(value: unknown, depth: number, underSecret: boolean, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return underSecret ? REDACTED : redactString(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > MAX_DEPTH) return TRUNCATED
  if (seen.has(value)) return '[circular]'
  seen.add(value)
  if (value instanceof Error) return underSecret ? REDACTED : redactString(value.message)
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, underSecret, seen))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = walk(v, depth + 1, underSecret || secretKey(k, v), seen)
  return out
}

/** Redacts any value (the keys of an object count, at every level). */
export function redactValue(value: unknown): unknown {
  return walk(value, 0, false, new WeakSet())
}

/** Redacts one named field of a record (the logger's format works on winston's info in place). */
export function redactEntry(key: string, value: unknown): unknown {
  return walk(value, 1, secretKey(key, value), new WeakSet())
}
