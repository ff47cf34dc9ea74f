/**
 * The last line of defence against secrets in logs: every transport runs its
 * entries through this. Components must still avoid logging secrets at all.
 */
const PATTERNS: RegExp[] = [
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs
  /\bsk-[A-Za-z0-9_-]{16,}/g, // API keys
  /\brt_[A-Za-z0-9._-]{16,}/g, // OpenAI refresh tokens
  /\b(Bearer\s+)[A-Za-z0-9._~+/-]{16,}=*/gi,
]

const SECRET_KEYS = /^(access_?token|refresh_?token|id_?token|token|authorization|passphrase|code_verifier|code)$/i

export const REDACTED = '[redacted]'

export function redactString(s: string): string {
  let out = s
  for (const re of PATTERNS)
    out = out.replace(re, (m, bearer?: string) => (typeof bearer === 'string' ? `${bearer}${REDACTED}` : REDACTED))
  return out
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value)
  if (depth > 6 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1))
  if (value instanceof Error) return redactString(value.message)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && typeof v === 'string' ? REDACTED : redactValue(v, depth + 1)
  }
  return out
}
