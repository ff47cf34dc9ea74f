/**
 * The client side of the issuer's OAuth endpoints: refresh, code exchange, revoke.
 *
 * It owns no state and no single-flight: the token manager above it guarantees
 * at most one refresh per account (docs/architecture.md#invariants, 1) and persists the result before
 * anyone sees it (2). This module's job is to make one refresh as
 * reliable as it can be and to say precisely why it failed (3).
 *
 * TLS verification is never disabled here (the old login script did, and that
 * is how tokens leak). Corporate CAs belong in NODE_EXTRA_CA_CERTS, which
 * Node's fetch honours.
 *
 * Errors: every failure of `refresh` and `exchangeCode` is a RefreshError (see
 * oauth-errors.ts). Login code maps it to LOGIN_FAILED; there is no separate
 * LoginError because the endpoint, the failure modes and the retry rules are
 * the same.
 */
import { DeadlineError, fetchWithDeadline } from '../../upstream/deadline.js'
import * as z from 'zod'
import { requireSecureUrl } from '../../protocol/paths.js'
import { silentLogger, type Clock, type FetchFn, type Logger } from '../deps.js'
import { identityFromTokens, isJwt } from './jwt.js'
import { badResponse, classifyHttpFailure, classifyThrown, RefreshError } from './oauth-errors.js'

/** The public Codex CLI client (docs/architecture.md#oauth). */
export const DEFAULT_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'
export const DEFAULT_TIMEOUT_MS = 20_000
/** Back-off between transient failures (docs/architecture.md#invariants, 3). With 3 attempts only the first two waits are used. */
export const RETRY_DELAYS_MS: readonly number[] = Object.freeze([500, 750, 1125])
export const REFRESH_ATTEMPTS = 3

export interface TokenSet {
  accessToken: string
  /** Absent when the issuer did not rotate it: the caller keeps the old one. */
  refreshToken?: string
  /** Absent when not sent (or not a JWT): the caller keeps the old one. */
  idToken?: string
  /** Epoch ms, from `expires_in`, else the access token's `exp`; absent → caller falls back. */
  expiresAt?: number
}

/** A fresh sign-in must yield a refresh token, or the account could never be kept alive. */
export interface LoginTokenSet extends TokenSet {
  refreshToken: string
}

export type TokenTypeHint = 'refresh_token' | 'access_token'

export interface CodeExchange {
  code: string
  redirectUri: string
  codeVerifier: string
}

export interface OAuthClientOptions {
  /** e.g. https://auth.openai.com; plain http only for loopback (test issuers). */
  issuer: string
  clientId?: string
  fetch: FetchFn
  clock: Clock
  /** Per attempt, covering the whole answer including the body. */
  timeoutMs?: number
  logger?: Logger
}

export interface OAuthClient {
  refresh(refreshToken: string): Promise<TokenSet>
  exchangeCode(params: CodeExchange): Promise<LoginTokenSet>
  /** Best effort: resolves true on a 2xx, false otherwise; never throws. */
  revoke(token: string, hint: TokenTypeHint): Promise<boolean>
}

// Optional fields are lenient: a 200 from a refresh means the old refresh token
// is already spent, so rejecting the whole answer over a malformed extra field
// would throw away the only copy of the new one.
const optionalString = z.string().min(1).optional().catch(undefined)
const optionalSeconds = z
  .preprocess((v) => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v), z.number().finite().positive())
  .optional()
  .catch(undefined)

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: optionalString,
  id_token: optionalString,
  expires_in: optionalSeconds,
})

interface RawAnswer {
  status: number
  ok: boolean
  text: string
}

interface PostBody {
  contentType: 'application/json' | 'application/x-www-form-urlencoded'
  body: string
  /** Values to scrub from any error text derived from the answer. */
  secrets: string[]
}

export function createOAuthClient(options: OAuthClientOptions): OAuthClient {
  const issuer = normalizeIssuer(options.issuer)
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID
  const { clock } = options
  const fetchFn = options.fetch
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const logger = options.logger ?? silentLogger

  /** One HTTP exchange with a hard deadline. Throws RefreshError on network failure or timeout. */
  async function post(path: string, req: PostBody): Promise<RawAnswer> {
    try {
      return await fetchWithDeadline(
        fetchFn,
        `${issuer}${path}`,
        {
          method: 'POST',
          headers: { 'content-type': req.contentType, accept: 'application/json' },
          body: req.body,
          // Never re-send a token to wherever a redirect points; a 3xx is reported instead.
          redirect: 'manual',
        },
        async (res) => ({ status: res.status, ok: res.ok, text: await res.text() }),
        { ms: timeoutMs, timers: clock },
      )
    } catch (err) {
      throw classifyThrown(err, err instanceof DeadlineError, timeoutMs)
    }
  }

  /** One token-endpoint call turned into a TokenSet or a classified RefreshError. */
  async function tokenCall(req: PostBody): Promise<TokenSet> {
    const startedAt = clock.now()
    const answer = await post('/oauth/token', req)
    if (!answer.ok) throw classifyHttpFailure(answer.status, answer.text, req.secrets)
    let json: unknown
    try {
      json = JSON.parse(answer.text)
    } catch {
      throw badResponse(answer.status, 'body is not JSON')
    }
    const parsed = tokenResponseSchema.safeParse(json)
    if (!parsed.success) throw badResponse(answer.status, 'no access_token')
    const data = parsed.data
    let idToken = data.id_token
    if (idToken !== undefined && !isJwt(idToken)) {
      // Codex rejects an auth.json whose id_token is not a JWT; keeping the old one is safer.
      logger.warn('token endpoint returned an id_token that is not a JWT; ignoring it')
      idToken = undefined
    }
    // expires_in counts from when the issuer answered, which is after we asked;
    // counting from our start errs on the early side.
    const expiresAt =
      data.expires_in !== undefined
        ? startedAt + Math.round(data.expires_in * 1000)
        : identityFromTokens({ accessToken: data.access_token }).exp
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token,
      idToken,
      expiresAt,
    }
  }

  /**
   * Retries transient failures only. A permanent one returns at once: another
   * try with a dead grant cannot succeed and, for a reused token, can only
   * confirm the revocation.
   *
   * Caveat: after a timeout the issuer may have rotated the token without us
   * seeing the answer; the retry then fails permanently with
   * refresh_token_reused. No client can avoid that; the timeout is generous so
   * it stays rare.
   */
  async function withRetry<T>(what: string, op: () => Promise<T>): Promise<T> {
    let last: RefreshError | undefined
    for (let attempt = 1; attempt <= REFRESH_ATTEMPTS; attempt++) {
      if (attempt > 1) await clock.sleep(RETRY_DELAYS_MS[attempt - 2] ?? 0)
      try {
        return await op()
      } catch (err) {
        last = classifyThrown(err, false, timeoutMs)
        last.attempts = attempt
        const meta = { code: last.code, status: last.status, attempt, permanent: last.permanent }
        if (last.permanent) {
          logger.warn(`${what} failed permanently`, meta)
          throw last
        }
        logger.warn(`${what} attempt failed`, meta)
      }
    }
    throw last ?? new RefreshError('network', `${what} was not attempted`, { permanent: false })
  }

  return {
    async refresh(refreshToken: string): Promise<TokenSet> {
      if (typeof refreshToken !== 'string' || refreshToken.length === 0) {
        const err = new RefreshError('invalid_grant', 'No refresh token to refresh with', { permanent: true })
        err.attempts = 0
        throw err
      }
      const body = JSON.stringify({ client_id: clientId, grant_type: 'refresh_token', refresh_token: refreshToken })
      return withRetry('token refresh', () =>
        tokenCall({ contentType: 'application/json', body, secrets: [refreshToken] }),
      )
    },

    async exchangeCode({ code, redirectUri, codeVerifier }: CodeExchange): Promise<LoginTokenSet> {
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: codeVerifier,
      }).toString()
      return withRetry('code exchange', async () => {
        const set = await tokenCall({
          contentType: 'application/x-www-form-urlencoded',
          body,
          secrets: [code, codeVerifier],
        })
        // The code is spent by now, so a retry cannot help: permanent.
        if (!set.refreshToken) throw badResponse(200, 'no refresh_token (offline_access not granted?)', true)
        return { ...set, refreshToken: set.refreshToken }
      })
    },

    async revoke(token: string, hint: TokenTypeHint): Promise<boolean> {
      try {
        const body = JSON.stringify({ token, token_type_hint: hint, client_id: clientId })
        const answer = await post('/oauth/revoke', { contentType: 'application/json', body, secrets: [token] })
        if (!answer.ok) logger.debug('token revoke refused', { status: answer.status, hint })
        return answer.ok
      } catch (err) {
        const code = err instanceof RefreshError ? err.code : 'network'
        logger.debug('token revoke failed', { code, hint })
        return false
      }
    },
  }
}

/** Trailing slashes trimmed; a path prefix kept (test issuers mount under one). */
function normalizeIssuer(raw: string): string {
  // Refresh tokens must not cross the network in clear text; plain http is
  // only for an issuer on this machine (the fake one in tests).
  const url = requireSecureUrl(raw, 'OAuth issuer')
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}
