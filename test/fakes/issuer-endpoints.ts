/**
 * The fake issuer's endpoints, one function each, with the real issuer's answer shapes:
 * OAuth-style `{error, error_description}` for grant errors, API-style
 * `{error:{message,type,code}}` for refresh-token family errors (that is how the real
 * one mixes them, and a client must parse both).
 */
import type { ServerResponse } from 'node:http'
import { sendJson, str } from './http.js'
import type { IssuedTokens, TokenFamilies } from './issuer-families.js'
import type { LoginState } from './issuer-login.js'
import type { Identity } from './jwt.js'

/** What the endpoints record about a call (a subset of IssuerCall). */
export interface CallNote {
  grant_type?: string
  refresh_token?: string
  reason?: string
}

export interface EndpointContext {
  families: TokenFamilies
  logins: LoginState
  clientId: string
  accessTokenTtlS: number
  deviceIntervalS: number
  /** Where device-flow codes must be redeemed. */
  deviceCallbackUrl: string
  allowRedirect: (uri: string) => boolean
  now(): number
  /** The configured next sign-in, consumed by this call. */
  takeNextLogin(): { identity: Identity } | { error: string } | undefined
}

type Fields = Record<string, unknown>

const oauthError = (error: string, description: string) => ({ error, error_description: description })
const apiError = (message: string, code: string) => ({
  error: { message, type: 'invalid_request_error', param: null, code },
})

export function tokenEndpoint(ctx: EndpointContext, fields: Fields, res: ServerResponse, call: CallNote): void {
  const clientId = str(fields, 'client_id')
  if (clientId !== ctx.clientId) {
    call.reason = 'invalid_client'
    return sendJson(res, 401, oauthError('invalid_client', 'Unknown or missing client_id'))
  }
  if (call.grant_type === 'refresh_token') return refreshGrant(ctx, call.refresh_token, res, call)
  if (call.grant_type === 'authorization_code') {
    const redeemed = ctx.logins.redeem({
      code: str(fields, 'code'),
      redirectUri: str(fields, 'redirect_uri'),
      clientId,
      verifier: str(fields, 'code_verifier'),
    })
    if (!redeemed.ok) {
      call.reason = redeemed.description
      return sendJson(res, 400, oauthError('invalid_grant', redeemed.description))
    }
    call.reason = 'ok'
    return sendTokens(res, ctx.families.create(redeemed.identity, ctx.accessTokenTtlS))
  }
  call.reason = 'unsupported_grant_type'
  sendJson(res, 400, oauthError('unsupported_grant_type', `grant_type ${String(call.grant_type)} is not supported`))
}

function refreshGrant(ctx: EndpointContext, token: string | undefined, res: ServerResponse, call: CallNote): void {
  if (token === undefined || token === '') {
    call.reason = 'missing_refresh_token'
    return sendJson(res, 400, oauthError('invalid_request', 'refresh_token is required'))
  }
  const outcome = ctx.families.refresh(token, ctx.accessTokenTtlS)
  if (outcome.ok) {
    call.reason = 'ok'
    return sendTokens(res, outcome.tokens)
  }
  call.reason = outcome.rejection === 'unknown' ? 'unknown_token' : outcome.rejection
  switch (outcome.rejection) {
    case 'unknown':
      return sendJson(res, 400, oauthError('invalid_grant', 'Invalid refresh token'))
    case 'reused':
      return sendJson(
        res,
        401,
        apiError(
          'Your refresh token has already been used to generate a new access token. Please try signing in again.',
          'refresh_token_reused',
        ),
      )
    case 'invalidated':
      return sendJson(
        res,
        401,
        apiError('Your refresh token has been invalidated. Please try signing in again.', 'refresh_token_invalidated'),
      )
    case 'expired':
      return sendJson(
        res,
        401,
        apiError('Your refresh token has expired. Please try signing in again.', 'refresh_token_expired'),
      )
  }
}

function sendTokens(res: ServerResponse, t: IssuedTokens): void {
  sendJson(res, 200, {
    access_token: t.accessToken,
    refresh_token: t.refreshToken,
    id_token: t.idToken,
    expires_in: t.expiresIn,
    token_type: 'Bearer',
    scope: 'openid profile email offline_access',
  })
}

export function authorizeEndpoint(ctx: EndpointContext, q: URLSearchParams, res: ServerResponse, call: CallNote): void {
  const redirectUri = q.get('redirect_uri') ?? ''
  const scopes = (q.get('scope') ?? '').split(' ')
  const challenge = q.get('code_challenge')
  const state = q.get('state')
  const problem =
    q.get('response_type') !== 'code'
      ? 'response_type must be code'
      : q.get('client_id') !== ctx.clientId
        ? 'unknown client_id'
        : !ctx.allowRedirect(redirectUri)
          ? 'redirect_uri is not registered'
          : !scopes.includes('openid') || !scopes.includes('offline_access')
            ? 'scope must include openid and offline_access'
            : !challenge
              ? 'code_challenge is required'
              : q.get('code_challenge_method') !== 'S256'
                ? 'code_challenge_method must be S256'
                : !state
                  ? 'state is required'
                  : undefined
  // Only a valid request consumes the configured login, so a test can retry after a 400.
  const login = problem === undefined ? ctx.takeNextLogin() : undefined
  if (problem !== undefined || login === undefined || !challenge || !state) {
    call.reason = problem ?? 'no login configured (call setNextLogin)'
    return sendJson(res, 400, oauthError('invalid_request', call.reason))
  }
  const target = new URL(redirectUri)
  if ('error' in login) {
    call.reason = login.error
    target.searchParams.set('error', login.error)
    target.searchParams.set('error_description', 'The user denied the request')
  } else {
    call.reason = 'ok'
    target.searchParams.set('code', ctx.logins.issueCode(login.identity, ctx.clientId, redirectUri, challenge))
  }
  target.searchParams.set('state', state)
  res.writeHead(302, { location: target.toString() })
  res.end()
}

export function revokeEndpoint(ctx: EndpointContext, fields: Fields, res: ServerResponse, call: CallNote): void {
  // RFC 7009: an unknown token is not an error.
  call.reason = ctx.families.revokeByToken(str(fields, 'token') ?? '') ? 'revoked' : 'unknown_token'
  sendJson(res, 200, {})
}

export function deviceUserCodeEndpoint(ctx: EndpointContext, fields: Fields, res: ServerResponse): void {
  if (str(fields, 'client_id') !== ctx.clientId)
    return sendJson(res, 400, apiError('Unknown client_id', 'invalid_client'))
  const s = ctx.logins.startDevice(ctx.clientId)
  sendJson(res, 200, {
    device_auth_id: s.deviceAuthId,
    user_code: s.userCode,
    interval: String(ctx.deviceIntervalS),
    expires_at: new Date(ctx.now() + 15 * 60_000).toISOString(),
  })
}

export function deviceTokenEndpoint(ctx: EndpointContext, fields: Fields, res: ServerResponse): void {
  const state = ctx.logins.pollDevice(str(fields, 'device_auth_id'), str(fields, 'user_code'))
  // Unknown sessions fail loudly; the real server's 404 would just look "pending" forever.
  if (state === undefined)
    return sendJson(res, 400, apiError('Unknown device_auth_id or user_code', 'deviceauth_unknown'))
  if (state === 'pending')
    return sendJson(res, 403, apiError('Device authorization is pending', 'deviceauth_authorization_pending'))
  sendJson(res, 200, {
    authorization_code: state.authorizationCode,
    code_challenge: state.codeChallenge,
    code_verifier: state.codeVerifier,
  })
}
