/**
 * What the caller gets when no account is left to try: the decision between "every
 * account is limited", "no accounts", "none usable", the backend's own last answer,
 * and "the daemon is not there". Kept apart from the attempt loop so each rule is
 * visible in one place.
 */
import { usageLimitBody } from '../protocol/backend.js'
import { noEligibleData, rateLimitedData } from '../protocol/error-data.js'
import { ErrorCode, RpcError } from '../protocol/errors.js'
import { TokenSourceUnavailableError, type HeaderReader } from './types.js'
import { ALL_LIMITED_STATUS, allLimited, daemonUnavailable, jsonError, noAccounts, noUsableAccount } from './answers.js'
import { replay } from './send.js'

/** The backend's last failure within this call, kept to answer with when nothing else is left. */
export interface LastFailure {
  status: number
  statusText: string
  headers: HeaderReader
  text: string
}

/** resets_at (epoch s) from a usage_limit_reached body, else Retry-After (s), as epoch ms. */
export function upstreamResetAt(last: LastFailure, now: number): number | undefined {
  try {
    const parsed = usageLimitBody.safeParse(JSON.parse(last.text))
    if (parsed.success) return parsed.data.error.resets_at * 1000
  } catch {
    // not JSON
  }
  const after = Number(last.headers.get('retry-after'))
  return Number.isFinite(after) && after > 0 ? now + after * 1000 : undefined
}

/** How "every account is out" is said to a client: each client reads it its own way. */
export type LimitedAnswer = (opts: { resetAt?: number; accounts: number; now: number }) => Response

/** OpenCode's form (answers.ts explains the status): limitStatus 403 by default, 429 opt-in. */
export function openCodeLimited(limitStatus = ALL_LIMITED_STATUS): LimitedAnswer {
  return (opts) => allLimited({ ...opts, status: limitStatus })
}

/** A backend 429 is never handed on as is: the pool answers for itself (OpenCode would retry it without end). */
export function limitedFromUpstream(last: LastFailure, now: number, limited: LimitedAnswer): Response {
  return limited({ resetAt: upstreamResetAt(last, now), accounts: 1, now })
}

export function lastAnswer(last: LastFailure, now: number, limited: LimitedAnswer): Response {
  if (last.status === 429) return limitedFromUpstream(last, now, limited)
  return replay(last.status, last.statusText, last.headers, last.text)
}

const forcedUntil = rateLimitedData.pick({ until: true }).partial()

/** token.get failed: turn why into the answer the caller sees. Rethrows what is not ours to answer. */
export function answerNoToken(
  err: unknown,
  last: LastFailure | undefined,
  now: number,
  limited: LimitedAnswer = openCodeLimited(),
): Response {
  if (err instanceof TokenSourceUnavailableError) return daemonUnavailable(err.message)
  if (!(err instanceof RpcError)) {
    return daemonUnavailable(`the daemon did not answer token.get: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (err.code === ErrorCode.RATE_LIMITED) {
    // Force mode pins one account and never falls back (the person chose it).
    // Only `until` decides the answer: read it even when the rest of the data is missing.
    const until = forcedUntil.safeParse(err.data).data?.until ?? undefined
    if (until !== undefined && until > now) return limited({ resetAt: until, accounts: 1, now })
    return jsonError(ALL_LIMITED_STATUS, {
      message:
        'opencode-multi-auth: the account pinned with `opencode-multi-auth use` cannot serve requests now. ' +
        'End the pin with `opencode-multi-auth use --clear`, or see `opencode-multi-auth status`.',
      type: 'invalid_request_error',
      code: 'forced_account_unavailable',
    })
  }
  if (err.code !== ErrorCode.NO_ELIGIBLE_ACCOUNTS) {
    // Daemon messages never carry secrets (docs/architecture.md#invariants, 11); the store may be locked or need a passphrase.
    return jsonError(503, {
      message: `opencode-multi-auth: the daemon could not give a token: ${err.message}`,
      type: 'daemon_error',
      code: 'token_get_failed',
    })
  }
  const parsed = noEligibleData.safeParse(err.data)
  const data = parsed.success ? parsed.data : { accounts: [], earliestUntil: undefined }
  if (parsed.success && data.accounts.length === 0) return noAccounts()
  // What the backend itself said is the most precise answer (model not supported, workspace gone, ...).
  if (last && last.status !== 429) return replay(last.status, last.statusText, last.headers, last.text)
  const resetAt = data.earliestUntil ?? (last ? upstreamResetAt(last, now) : undefined)
  if (resetAt !== undefined || last) return limited({ resetAt, accounts: data.accounts.length || 1, now })
  return noUsableAccount(data)
}
