/**
 * A fake auth.openai.com on 127.0.0.1:<random>. It enforces what the real issuer
 * enforces where a client can get it wrong (single-use refresh tokens with family
 * revocation, PKCE, redirect_uri/client_id binding, device-code polling) and can be
 * scripted to fail in every way the daemon must classify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { header, listenLoopback, parseFields, readBody, sendJson, str, type Listening, type TlsFiles } from './http.js'
import {
  authorizeEndpoint,
  deviceTokenEndpoint,
  deviceUserCodeEndpoint,
  revokeEndpoint,
  tokenEndpoint,
  type EndpointContext,
} from './issuer-endpoints.js'
import { TokenFamilies, type IssuedTokens } from './issuer-families.js'
import { CODEX_CLIENT_ID, LoginState } from './issuer-login.js'
import { FailureScript, sendScriptedError, type FailOptions, type FailureKind } from './issuer-script.js'
import { DEFAULT_ACCESS_TTL_S, type Identity } from './jwt.js'

export type { FailureKind, FailOptions } from './issuer-script.js'
export type { IssuedTokens } from './issuer-families.js'
export { CODEX_CLIENT_ID, s256 } from './issuer-login.js'

export interface FakeIssuerOptions {
  /** Epoch ms; token iat/exp and call timestamps follow it. Default Date.now. */
  now?: () => number
  clientId?: string
  accessTokenTtlS?: number
  /** The device flow's polling interval, sent as a string like the real one. Default 5. */
  deviceIntervalS?: number
  /** Default wait for failNext(n, 'slow'). */
  slowMs?: number
  /** Which redirect_uris /oauth/authorize accepts; default http://localhost|127.0.0.1:*\/auth/callback. */
  allowRedirect?: (uri: string) => boolean
  /** Serve HTTPS with this key and certificate (origin https://localhost:PORT), e.g. for proxy tests. */
  tls?: TlsFiles
}

export interface IssuerCall {
  method: string
  path: string
  grant_type?: string
  refresh_token?: string
  /** Codex sends refresh_reason (proactive_expiry | forced | unauthorized_recovery). */
  refresh_reason?: string
  /** Epoch ms (from opts.now). */
  at: number
  /** HTTP status answered; absent while pending and for hang/drop. */
  status?: number
  /** Why it was answered so: ok, reused, invalidated, expired, unknown_token, scripted:<kind>, ... */
  reason?: string
  /** The scripted failure this call consumed ('slow' calls then go on to a real answer). */
  scripted?: FailureKind
}

const defaultRedirect = (uri: string): boolean => {
  try {
    const u = new URL(uri)
    return (
      u.protocol === 'http:' &&
      (u.hostname === 'localhost' || u.hostname === '127.0.0.1') &&
      u.pathname === '/auth/callback'
    )
  } catch {
    return false
  }
}

export class FakeIssuer {
  readonly calls: IssuerCall[] = []
  accessTokenTtlS: number
  deviceIntervalS: number
  slowMs: number
  private delayMs = 0
  private readonly families: TokenFamilies
  private readonly logins = new LoginState()
  private readonly script = new FailureScript()
  private readonly timers = new Set<NodeJS.Timeout>()
  private nextLogin: { identity: Identity } | { error: string } | undefined
  private http!: Listening

  private constructor(private readonly opts: FakeIssuerOptions) {
    this.families = new TokenFamilies(this.now)
    this.accessTokenTtlS = opts.accessTokenTtlS ?? DEFAULT_ACCESS_TTL_S
    this.deviceIntervalS = opts.deviceIntervalS ?? 5
    this.slowMs = opts.slowMs ?? 1000
  }

  static async start(opts: FakeIssuerOptions = {}): Promise<FakeIssuer> {
    const issuer = new FakeIssuer(opts)
    issuer.http = await listenLoopback((req, res) => issuer.handle(req, res), opts.tls)
    return issuer
  }

  get url(): string {
    return this.http.origin
  }
  get tokenUrl(): string {
    return `${this.url}/oauth/token`
  }
  get deviceCallbackUrl(): string {
    return `${this.url}/deviceauth/callback`
  }
  get clientId(): string {
    return this.opts.clientId ?? CODEX_CLIENT_ID
  }
  /** Token-endpoint calls with grant_type=refresh_token, including failed and scripted ones. */
  get refreshCalls(): number {
    return this.calls.filter((c) => c.path === '/oauth/token' && c.grant_type === 'refresh_token').length
  }
  /** Spent refresh tokens presented. Every daemon test should end with this at 0. */
  get reuseDetected(): number {
    return this.families.reuseDetected
  }

  /** A signed-in account: a new family and its current tokens. */
  addAccount(identity: Identity, opts: { expiresInS?: number; iat?: number } = {}): IssuedTokens {
    return this.families.create(identity, opts.expiresInS ?? this.accessTokenTtlS, opts.iat)
  }
  latestRefreshToken(familyOrEmail: string): string {
    return this.families.latestRefreshToken(familyOrEmail)
  }
  isSpent(refreshToken: string): boolean {
    return this.families.isSpent(refreshToken)
  }
  familyOf(token: string): string | undefined {
    return this.families.familyOf(token)
  }
  revoked(familyOrEmail: string): boolean {
    return this.families.revoked(familyOrEmail)
  }
  /** Revokes a family out of band, as `codex logout` or a password change would. */
  revoke(familyOrEmail: string): void {
    this.families.revoke(familyOrEmail)
  }
  /** The family's current refresh token now answers refresh_token_expired (death by disuse). */
  expire(familyOrEmail: string): void {
    this.families.expire(familyOrEmail)
  }
  /** The identity the next /oauth/authorize signs in as (used once). */
  setNextLogin(identity: Identity): void {
    this.nextLogin = { identity }
  }
  /** The next /oauth/authorize redirects back with ?error=<error> instead of a code. */
  denyNextLogin(error = 'access_denied'): void {
    this.nextLogin = { error }
  }
  approveDevice(userCode: string, identity: Identity): void {
    this.logins.approveDevice(userCode, identity, this.deviceCallbackUrl)
  }
  get pendingDeviceCodes(): string[] {
    return this.logins.pendingUserCodes
  }
  failNext(n: number, kind: FailureKind, opts?: FailOptions): void {
    this.script.add(n, kind, opts)
  }
  clearFailures(): void {
    this.script.clear()
  }
  /** Delay before every answer, on every path. */
  setDelay(ms: number): void {
    this.delayMs = ms
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await this.http.close()
  }

  private readonly now = (): number => (this.opts.now ?? Date.now)()

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t)
        resolve()
      }, ms)
      this.timers.add(t)
    })
  }

  private context(): EndpointContext {
    return {
      families: this.families,
      logins: this.logins,
      clientId: this.clientId,
      accessTokenTtlS: this.accessTokenTtlS,
      deviceIntervalS: this.deviceIntervalS,
      deviceCallbackUrl: this.deviceCallbackUrl,
      allowRedirect: this.opts.allowRedirect ?? defaultRedirect,
      now: this.now,
      takeNextLogin: () => {
        const login = this.nextLogin
        this.nextLogin = undefined
        return login
      },
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    const raw = await readBody(req)
    const fields =
      req.method === 'GET' ? Object.fromEntries(url.searchParams) : parseFields(raw, header(req, 'content-type'))
    const call: IssuerCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      grant_type: str(fields, 'grant_type'),
      refresh_token: str(fields, 'refresh_token'),
      refresh_reason: str(fields, 'refresh_reason'),
      at: this.now(),
    }
    this.calls.push(call)
    res.on('finish', () => (call.status = res.statusCode))

    if (this.delayMs > 0) await this.sleep(this.delayMs)
    const failure = this.script.take(url.pathname)
    if (failure) {
      call.scripted = failure.kind
      call.reason = `scripted:${failure.kind}`
      if (failure.kind === 'drop') return void req.socket.destroy()
      if (failure.kind === 'hang') return // close() tears the socket down
      if (failure.kind === 'slow') await this.sleep(failure.delayMs ?? this.slowMs)
      else return sendScriptedError(res, failure.kind)
    }

    const route = `${req.method} ${url.pathname}`
    const ctx = this.context()
    if (route === 'POST /oauth/token') return tokenEndpoint(ctx, fields, res, call)
    if (route === 'GET /oauth/authorize') return authorizeEndpoint(ctx, url.searchParams, res, call)
    if (route === 'POST /oauth/revoke') return revokeEndpoint(ctx, fields, res, call)
    if (route === 'POST /api/accounts/deviceauth/usercode') return deviceUserCodeEndpoint(ctx, fields, res)
    if (route === 'POST /api/accounts/deviceauth/token') return deviceTokenEndpoint(ctx, fields, res)
    if (route === 'GET /codex/device') {
      res.writeHead(200, { 'content-type': 'text/html' })
      return void res.end('<!doctype html><title>Fake device sign-in</title>')
    }
    sendJson(res, 404, { error: { message: `fake issuer: no route ${route}` } })
  }
}

export function startFakeIssuer(opts?: FakeIssuerOptions): Promise<FakeIssuer> {
  return FakeIssuer.start(opts)
}
