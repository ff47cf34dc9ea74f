/**
 * The Codex CLI's `auth.json` (docs/architecture.md#codex-authjson): its shape,
 * how we read tokens out of it and how we build the object we write back.
 *
 * Every object is loose: keys we do not know (a newer Codex may add some) are
 * kept when we write the file back. Our own metadata never goes in it, because
 * Codex drops keys it does not know when it rewrites the file.
 */
import { createHash } from 'node:crypto'
import * as z from 'zod'
import { isJwt } from '../auth/jwt.js'

const text = z
  .string()
  .min(1)
  .max(256 * 1024)

/** The `tokens` object of a ChatGPT sign-in. */
export const codexTokensSchema = z.looseObject({
  id_token: z.string().nullable().optional(),
  access_token: text,
  refresh_token: text,
  account_id: z.string().nullable().optional(),
})
export type CodexTokens = z.infer<typeof codexTokensSchema>

/** The file: `tokens` is checked on its own so an API-key file is "no tokens", not "invalid". */
export const codexAuthSchema = z.looseObject({
  auth_mode: z.string().nullable().optional(),
  OPENAI_API_KEY: z.string().nullable().optional(),
  tokens: z.unknown().optional(),
  last_refresh: z.string().nullable().optional(),
})
export type CodexAuthJson = z.infer<typeof codexAuthSchema>

export type ParsedAuth =
  | { kind: 'invalid'; reason: string }
  /** A valid file without ChatGPT tokens (signed out, or API-key mode). */
  | { kind: 'no-tokens'; json: CodexAuthJson }
  | { kind: 'tokens'; json: CodexAuthJson; tokens: CodexTokens }

export function parseAuthText(raw: string): ParsedAuth {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    // Codex builds before 0.169 truncate and write in place: this may be half a file.
    return { kind: 'invalid', reason: raw.trim() === '' ? 'empty file' : 'not JSON (half-written?)' }
  }
  const file = codexAuthSchema.safeParse(value)
  if (!file.success) return { kind: 'invalid', reason: 'not a JSON object of the auth.json shape' }
  const json = file.data
  if (json.tokens === undefined || json.tokens === null) return { kind: 'no-tokens', json }
  const tokens = codexTokensSchema.safeParse(json.tokens)
  if (!tokens.success) return { kind: 'invalid', reason: 'tokens lack access_token/refresh_token' }
  return { kind: 'tokens', json, tokens: tokens.data }
}

/** The tokens in the form the account store takes them. */
export function incomingFrom(parsed: { json: CodexAuthJson; tokens: CodexTokens }): {
  accessToken: string
  refreshToken: string
  idToken?: string
  lastRefresh?: string
} {
  const { tokens, json } = parsed
  const out: { accessToken: string; refreshToken: string; idToken?: string; lastRefresh?: string } = {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
  }
  if (typeof tokens.id_token === 'string' && isJwt(tokens.id_token)) out.idToken = tokens.id_token
  if (typeof json.last_refresh === 'string' && !Number.isNaN(Date.parse(json.last_refresh)))
    out.lastRefresh = json.last_refresh
  return out
}

export interface PairToWrite {
  accessToken: string
  refreshToken: string
  /** Must be a three-part JWT: Codex rejects the whole file otherwise. */
  idToken: string
  accountId: string
}

/**
 * The object to write: what the file held (unknown keys kept), with our pair.
 * `keepTokenExtras` keeps unknown keys inside `tokens` too, which is right only
 * when the file already held the same account.
 */
export function buildAuthJson(
  existing: CodexAuthJson | undefined,
  pair: PairToWrite,
  now: number,
  keepTokenExtras: boolean,
): Record<string, unknown> {
  if (!isJwt(pair.idToken)) throw new Error('refusing to write auth.json without a JWT id_token')
  const base: Record<string, unknown> = { ...(existing ?? {}) }
  const oldTokens = keepTokenExtras && isRecord(base.tokens) ? base.tokens : {}
  return {
    ...base,
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: typeof base.OPENAI_API_KEY === 'string' ? base.OPENAI_API_KEY : null,
    tokens: {
      ...oldTokens,
      id_token: pair.idToken,
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      account_id: pair.accountId,
    },
    last_refresh: new Date(now).toISOString(),
  }
}

/** Serialized the way Codex writes it: 2-space JSON, no trailing newline. */
export function serializeAuth(json: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(json, null, 2), 'utf8')
}

export function contentHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
