/**
 * Who is calling the fake backend: the Bearer JWT and a chatgpt-account-id that matches it, as
 * the real backend checks, and the 401s it answers when they are wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { header, sendJson } from './http.js'
import { AUTH_CLAIM, decodeJwt } from './jwt.js'

export interface Caller {
  accountId: string
  userId?: string
  email?: string
  planType: string
}

export interface CallerChecks {
  /** Epoch seconds. */
  nowS: number
  /** Reject expired access tokens (default true). */
  checkExpiry?: boolean
  tokenValid?: (accessToken: string) => boolean
}

const authError = (message: string, code: string) => ({
  error: { message, type: 'invalid_request_error', param: null, code },
})

/** The caller from Authorization + chatgpt-account-id, or why they are refused. */
export function identifyCaller(req: IncomingMessage, opts: CallerChecks): Caller | string {
  const auth = header(req, 'authorization') ?? ''
  const match = /^Bearer (\S+)$/.exec(auth)
  if (!match) return 'missing bearer token'
  let payload: Record<string, unknown>
  try {
    payload = decodeJwt(match[1])
  } catch {
    return 'malformed access token'
  }
  const claim = payload[AUTH_CLAIM]
  const c = typeof claim === 'object' && claim !== null ? (claim as Record<string, unknown>) : {}
  const accountId = typeof c.chatgpt_account_id === 'string' ? c.chatgpt_account_id : undefined
  if (accountId === undefined) return 'access token has no chatgpt_account_id'
  if (header(req, 'chatgpt-account-id') !== accountId) return 'chatgpt-account-id does not match the access token'
  if (opts.checkExpiry !== false && typeof payload.exp === 'number' && payload.exp <= opts.nowS) return 'expired'
  if (opts.tokenValid && !opts.tokenValid(match[1])) return 'invalidated'
  return {
    accountId,
    userId: typeof c.chatgpt_user_id === 'string' ? c.chatgpt_user_id : undefined,
    email: typeof payload.email === 'string' ? payload.email : undefined,
    planType: typeof c.chatgpt_plan_type === 'string' ? c.chatgpt_plan_type : 'plus',
  }
}

/** 401 with the error the real backend gives for `why` (token_expired, token_invalidated, or invalid_api_key). */
export function refuse(res: ServerResponse, why: string): void {
  if (why === 'expired')
    return sendJson(
      res,
      401,
      authError('Provided authentication token is expired. Please try signing in again.', 'token_expired'),
    )
  if (why === 'invalidated')
    return sendJson(
      res,
      401,
      authError('Your authentication token has been invalidated. Please try signing in again.', 'token_invalidated'),
    )
  sendJson(res, 401, authError(`fake backend: ${why}`, 'invalid_api_key'))
}
