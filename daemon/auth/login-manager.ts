/**
 * `login.start` / `login.wait`: one sign-in at a time (a second one cancels the
 * first cleanly: its callback server closes, its waiters get LOGIN_FAILED), a
 * deadline on each (5 min browser, 15 min device), and the tokens stored by
 * identity through AccountService.add (upsertTokens), never by alias alone.
 */
import { randomBytes } from 'node:crypto'
import { ErrorCode, RpcError, isRpcError } from '../../protocol/errors.js'
import type { LoginStart } from '../../protocol/methods.js'
import type { AccountView } from '../../protocol/schemas.js'
import type { Clock, FetchFn, Logger, Timer } from '../deps.js'
import { DEFAULT_LOGIN_PORTS, startBrowserLogin } from './login-browser.js'
import { DEVICE_TIMEOUT_MS, startDeviceLogin } from './login-device.js'
import { DEFAULT_CLIENT_ID, type CodeExchange, type OAuthClient } from './oauth-client.js'

export const BROWSER_TIMEOUT_MS = 5 * 60_000
/** Finished sign-ins stay answerable by login.wait this long. */
const KEEP_FINISHED_MS = 10 * 60_000

/**
 * Where a finished sign-in's tokens go (the account service, passed in by the
 * composition root): it identifies the account from the tokens and answers its view.
 */
export interface AccountSink {
  add(
    tokens: { accessToken: string; refreshToken: string; idToken?: string; expiresAt?: number },
    opts: { alias?: string; source: string },
  ): Promise<{ alias: string; action: string }>
  view(alias: string): AccountView
}

export interface LoginManagerOptions {
  issuer: string
  clientId?: string
  oauth: OAuthClient
  accounts: AccountSink
  fetch: FetchFn
  clock: Clock
  logger: Logger
  /** Callback ports in order of preference; default 1455, 1457. */
  ports?: readonly number[]
  browserTimeoutMs?: number
  deviceTimeoutMs?: number
}

interface Session {
  id: string
  method: 'browser' | 'device'
  expiresAt: number
  done: Promise<AccountView>
  settled: boolean
  finishedAt?: number
  fail(message: string): void
  cleanup(): Promise<void>
}

/** `OPENCODE_MULTI_AUTH_LOGIN_PORTS="p1,p2"`; anything unparseable falls back to the defaults. */
export function loginPortsFromEnv(env: Record<string, string | undefined>): readonly number[] {
  const raw = env.OPENCODE_MULTI_AUTH_LOGIN_PORTS?.trim()
  if (!raw) return DEFAULT_LOGIN_PORTS
  const ports = raw.split(',').map((p) => Number(p.trim()))
  return ports.length > 0 && ports.every((p) => Number.isInteger(p) && p >= 0 && p <= 65535)
    ? ports
    : DEFAULT_LOGIN_PORTS
}

export class LoginManager {
  private readonly sessions = new Map<string, Session>()
  private active: Session | undefined
  private starting: Promise<unknown> = Promise.resolve()

  constructor(private readonly opts: LoginManagerOptions) {}

  /** Serialized, so two quick starts cannot both bind a port: the later one always wins. */
  start(params: { alias?: string; method: 'browser' | 'device' }): Promise<LoginStart> {
    const run = this.starting.then(
      () => this.doStart(params),
      () => this.doStart(params),
    )
    this.starting = run.catch(() => {})
    return run
  }

  private async doStart(params: { alias?: string; method: 'browser' | 'device' }): Promise<LoginStart> {
    this.prune()
    if (this.active && !this.active.settled) this.active.fail('superseded by a newer sign-in')
    await this.active?.cleanup()
    const id = randomBytes(12).toString('base64url')
    const method = params.method
    const timeoutMs =
      method === 'browser'
        ? (this.opts.browserTimeoutMs ?? BROWSER_TIMEOUT_MS)
        : (this.opts.deviceTimeoutMs ?? DEVICE_TIMEOUT_MS)
    const expiresAt = this.opts.clock.now() + timeoutMs

    let resolve!: (v: AccountView) => void
    let reject!: (e: RpcError) => void
    const done = new Promise<AccountView>((res, rej) => {
      resolve = res
      reject = rej
    })
    done.catch(() => {}) // nobody may be waiting; the rejection is still delivered to waiters
    const closers: Array<() => Promise<void> | void> = []
    let timer: Timer | undefined
    const session: Session = {
      id,
      method,
      expiresAt,
      done,
      settled: false,
      fail: (message) =>
        settle(() => reject(new RpcError(ErrorCode.LOGIN_FAILED, `sign-in failed: ${message}`, { loginId: id }))),
      cleanup: async () => {
        if (timer) this.opts.clock.clearTimeout(timer)
        for (const c of closers.splice(0)) await Promise.resolve(c()).catch(() => {})
      },
    }
    const settle = (how: () => void): void => {
      if (session.settled) return
      session.settled = true
      session.finishedAt = this.opts.clock.now()
      how()
      void session.cleanup()
    }
    const finish = async (exchange: CodeExchange): Promise<AccountView> => {
      const view = await this.complete(exchange, params.alias)
      settle(() => resolve(view))
      return view
    }

    try {
      const common = { issuer: this.opts.issuer, clientId: this.opts.clientId ?? DEFAULT_CLIENT_ID }
      let started: LoginStart
      if (method === 'browser') {
        const browser = await startBrowserLogin({
          ...common,
          ports: this.opts.ports ?? DEFAULT_LOGIN_PORTS,
          onCode: async (exchange) => {
            if (session.settled) throw new Error('this sign-in was cancelled or has timed out')
            try {
              const view = await finish(exchange)
              return view.email ? `${view.email} (${view.alias})` : view.alias
            } catch (err) {
              session.fail(messageOf(err))
              throw new Error(messageOf(err), { cause: err })
            }
          },
          onFailure: (message) => session.fail(message),
        })
        closers.push(() => browser.close())
        started = { loginId: id, url: browser.url, method, expiresAt }
      } else {
        const device = await startDeviceLogin({
          ...common,
          fetch: this.opts.fetch,
          clock: this.opts.clock,
          logger: this.opts.logger,
        })
        closers.push(() => device.cancel())
        device.poll(expiresAt).then(
          (exchange) => finish(exchange).catch((err: unknown) => session.fail(messageOf(err))),
          (err: unknown) => session.fail(messageOf(err)),
        )
        started = { loginId: id, url: device.verificationUrl, userCode: device.userCode, method, expiresAt }
      }
      timer = this.opts.clock.setTimeout(
        () => session.fail(`timed out after ${Math.round(timeoutMs / 60_000)} minutes`),
        timeoutMs,
      )
      timer.unref?.()
      this.sessions.set(id, session)
      this.active = session
      this.opts.logger.info('sign-in started', { loginId: id, method })
      return started
    } catch (err) {
      session.settled = true
      await session.cleanup()
      throw new RpcError(ErrorCode.LOGIN_FAILED, `could not start the sign-in: ${messageOf(err)}`)
    }
  }

  async wait(loginId: string, timeoutMs?: number): Promise<AccountView> {
    const session = this.sessions.get(loginId)
    if (!session)
      throw new RpcError(ErrorCode.LOGIN_FAILED, 'no sign-in with that id (finished long ago, or never started)', {
        loginId,
      })
    if (timeoutMs === undefined || session.settled) return session.done
    let timer: Timer | undefined
    const pending = new Promise<never>((_, reject) => {
      timer = this.opts.clock.setTimeout(
        () =>
          reject(
            new RpcError(ErrorCode.LOGIN_FAILED, 'the sign-in is still pending; wait again', {
              loginId,
              pending: true,
            }),
          ),
        timeoutMs,
      )
    })
    try {
      return await Promise.race([session.done, pending])
    } finally {
      if (timer) this.opts.clock.clearTimeout(timer)
    }
  }

  /** Cancels whatever is running (daemon shutdown). */
  async stop(): Promise<void> {
    for (const s of this.sessions.values()) {
      if (!s.settled) s.fail('the daemon is stopping')
      await s.cleanup()
    }
  }

  private async complete(exchange: CodeExchange, alias: string | undefined): Promise<AccountView> {
    const tokens = await this.opts.oauth.exchangeCode(exchange)
    const r = await this.opts.accounts.add(tokens, { alias, source: 'login' })
    this.opts.logger.info('signed in', { alias: r.alias, action: r.action })
    return this.opts.accounts.view(r.alias)
  }

  private prune(): void {
    const now = this.opts.clock.now()
    for (const [id, s] of this.sessions) {
      if (s.settled && s.finishedAt !== undefined && now - s.finishedAt > KEEP_FINISHED_MS) this.sessions.delete(id)
    }
  }
}

function messageOf(err: unknown): string {
  if (isRpcError(err)) return err.message
  if (err instanceof Error) return err.message
  return 'unknown error'
}

/** The composition root's one call: ports from OPENCODE_MULTI_AUTH_LOGIN_PORTS, else 1455, 1457. */
export function createLoginManager(
  config: { issuer: string; env: Record<string, string | undefined> },
  deps: Omit<LoginManagerOptions, 'issuer' | 'ports'>,
): LoginManager {
  return new LoginManager({ ...deps, issuer: config.issuer, ports: loginPortsFromEnv(config.env) })
}
