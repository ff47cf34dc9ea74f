/**
 * What an error body from the ChatGPT Codex backend says, in the shapes it
 * is known to use (docs/architecture.md#rate-limits):
 *   429 {"error":{"type":"usage_limit_reached","plan_type","resets_at","resets_in_seconds"}}
 *   402 {"detail":{"code":"deactivated_workspace"}}
 *   400 {"detail":"The 'm' model is not supported when using Codex with a ChatGPT account."}
 *   401/403 {"error":{"code":"token_invalidated"|"token_expired", ...}}
 */
import { epochToMs } from '../limits/headers.js'

export interface BodyFacts {
  /** error.type / error.code / detail.code, whichever is present. */
  code?: string
  message?: string
  planType?: string
  /** Epoch ms from resets_at, else now + resets_in_seconds. */
  resetsAt?: number
  text: string
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

export function readBody(body: string | undefined, now: number): BodyFacts {
  const text = body ?? ''
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    return { text }
  }
  const root = obj(parsed)
  const err = obj(root?.error) ?? obj(root?.detail) ?? root
  const facts: BodyFacts = { text }
  const code = str(err?.type) === 'usage_limit_reached' ? 'usage_limit_reached' : (str(err?.code) ?? str(err?.type))
  if (code) facts.code = code
  const message = str(err?.message) ?? str(root?.detail)
  if (message) facts.message = message.slice(0, 300)
  const plan = str(err?.plan_type)
  if (plan) facts.planType = plan
  const resetsAt = num(err?.resets_at)
  const resetsIn = num(err?.resets_in_seconds)
  if (resetsAt !== undefined) facts.resetsAt = epochToMs(resetsAt)
  else if (resetsIn !== undefined) facts.resetsAt = now + resetsIn * 1000
  return facts
}

const INVALID_TOKEN_CODES = new Set([
  'token_invalidated',
  'token_expired',
  'token_revoked',
  'invalid_token',
  'invalid_api_key',
])

/** A 403 that says the access token itself is dead: the same path as a 401. */
export function saysTokenInvalid(f: BodyFacts): boolean {
  if (f.code && INVALID_TOKEN_CODES.has(f.code)) return true
  return /authentication token|token (?:has been |was )?(?:invalidated|expired|revoked)/i.test(f.message ?? f.text)
}

export function saysModelUnsupported(f: BodyFacts): boolean {
  return /not supported when using codex with a chatgpt account/i.test(f.message ?? f.text)
}

/** The model named in the 400 text ("The 'gpt-x' model is not supported ..."), if any. */
export function modelFromText(f: BodyFacts): string | undefined {
  return /the '([^']+)' model/i.exec(f.message ?? f.text)?.[1]
}

export function saysWorkspaceDeactivated(f: BodyFacts): boolean {
  return f.code === 'deactivated_workspace' || /deactivated_workspace/.test(f.text)
}
