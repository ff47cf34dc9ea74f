/**
 * Scripted failures for the fake issuer: a queue of "the next n requests to PATH answer
 * like THIS", covering every class the daemon must tell apart — permanent grant errors,
 * plain 401/403, transient 5xx/429, and the network-level ones (slow, hang, drop).
 */
import type { ServerResponse } from 'node:http'
import { sendJson } from './http.js'

export type FailureKind =
  'invalid_grant' | 'refresh_token_expired' | '500' | '502' | '503' | '429' | 'slow' | 'hang' | 'drop' | '401' | '403'

export interface FailOptions {
  /** Which endpoint the failures apply to; default "/oauth/token". */
  path?: string
  /** For 'slow': how long to wait before answering normally; default the issuer's slowMs. */
  delayMs?: number
}

interface Entry {
  kind: FailureKind
  path: string
  remaining: number
  delayMs?: number
}

export interface ScriptedFailure {
  kind: FailureKind
  delayMs?: number
}

export class FailureScript {
  private queue: Entry[] = []

  add(n: number, kind: FailureKind, opts: FailOptions = {}): void {
    if (!Number.isInteger(n) || n < 1) throw new Error('failNext: n must be a positive integer')
    this.queue.push({ kind, path: opts.path ?? '/oauth/token', remaining: n, delayMs: opts.delayMs })
  }

  /** Takes the next scripted failure for this path, in the order they were added. */
  take(path: string): ScriptedFailure | undefined {
    const entry = this.queue.find((e) => e.path === path)
    if (!entry) return undefined
    entry.remaining--
    if (entry.remaining === 0) this.queue = this.queue.filter((e) => e !== entry)
    return { kind: entry.kind, delayMs: entry.delayMs }
  }

  clear(): void {
    this.queue = []
  }

  get pending(): number {
    return this.queue.reduce((sum, e) => sum + e.remaining, 0)
  }
}

const apiError = (message: string, code: string | null, type = 'invalid_request_error') => ({
  error: { message, type, param: null, code },
})

/**
 * Answers a failure kind that produces an HTTP response. 'slow', 'hang' and 'drop' are
 * about the connection, so the server handles those itself.
 */
export function sendScriptedError(res: ServerResponse, kind: Exclude<FailureKind, 'slow' | 'hang' | 'drop'>): void {
  switch (kind) {
    case 'invalid_grant':
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' })
    case 'refresh_token_expired':
      return sendJson(
        res,
        401,
        apiError('Your refresh token has expired. Please try signing in again.', 'refresh_token_expired'),
      )
    case '401':
      // No code on purpose: the daemon must treat any 401 as permanent, not only known codes.
      return sendJson(res, 401, apiError('Unauthorized', null))
    case '403':
      return sendJson(res, 403, apiError('Forbidden', null))
    case '429':
      return sendJson(res, 429, apiError('Too many requests', 'rate_limit_exceeded', 'rate_limit_error'), {
        'retry-after': '1',
      })
    case '500':
    case '502':
    case '503':
      return sendJson(res, Number(kind), apiError('Upstream error', null, 'server_error'))
  }
}
