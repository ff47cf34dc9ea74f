/**
 * A fake chatgpt.com/backend-api on 127.0.0.1:<random>. It checks what the real backend
 * checks that a client can get wrong (a Bearer JWT that has not expired, a
 * chatgpt-account-id that matches it, stream:true and store:false), records every
 * request, and can be scripted per account to rate-limit, reject, or stall.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  defaultUsage,
  rateLimitHeaders,
  responseEvents,
  sseFrame,
  usagePayload,
  type UsageState,
} from './backend-payloads.js'
import { flatHeaders, listenLoopback, readBody, sendJson, type Listening } from './http.js'
import { identifyCaller, refuse, type Caller } from './backend-auth.js'

export type { UsageState } from './backend-payloads.js'

export type Behavior =
  | 'ok'
  /** Usage limit reached until resetsAt (epoch s; default now + 1 h). */
  | { status: 429; resetsAt?: number }
  | { status: 401 }
  /** deactivated_workspace */
  | { status: 402 }
  | { status: 400; modelUnsupported: true }
  /** 400 cyber_policy when the request asks for the priority tier; served normally without it. */
  | { status: 400; cyberPolicy: true }
  | { status: 500 | 502 | 503 }
  /** Sends the first event, waits slowMs, then the rest (unless the client went away). */
  | { slowMs: number }
  /** Sends nothing, not even headers, for hangMs (unless the client went away), then streams normally. */
  | { hangMs: number }

export interface FakeBackendOptions {
  /** The assistant's reply text. Default "OK". */
  text?: string
  /** Epoch ms. Default Date.now. */
  now?: () => number
  /** Reject expired access tokens with 401 token_expired, like the real backend. Default true. */
  checkExpiry?: boolean
  /** Extra veto on access tokens, e.g. `(t) => !issuer.revoked(issuer.familyOf(t) ?? '')`. */
  tokenValid?: (accessToken: string) => boolean
}

export interface BackendRequest {
  at: number
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
  /** From the JWT (which account the client actually used); absent when auth failed to parse. */
  accountId?: string
  userId?: string
  email?: string
  /** Status answered; set when the response finished. */
  status?: number
}

export interface Disconnect {
  at: number
  path: string
  accountId?: string
}

export class FakeBackend {
  readonly requests: BackendRequest[] = []
  readonly disconnects: Disconnect[] = []
  text: string
  private behaviors = new Map<string, Behavior>()
  private usage = new Map<string, Partial<UsageState>>()
  private usageStatus = new Map<string, number>()
  private timers = new Set<NodeJS.Timeout>()
  private http!: Listening

  private constructor(private readonly opts: FakeBackendOptions) {
    this.text = opts.text ?? 'OK'
  }

  static async start(opts: FakeBackendOptions = {}): Promise<FakeBackend> {
    const backend = new FakeBackend(opts)
    backend.http = await listenLoopback((req, res) => backend.handle(req, res))
    return backend
  }

  /** http://127.0.0.1:PORT/backend-api */
  get url(): string {
    return `${this.http.origin}/backend-api`
  }

  /** Persistent until changed. accountId "*" is the fallback for accounts without their own. */
  setBehavior(accountId: string, behavior: Behavior): void {
    this.behaviors.set(accountId, behavior)
  }

  /** Overrides parts of what the x-codex-* headers and /codex/usage report for an account. */
  setUsage(accountId: string, patch: Partial<UsageState>): void {
    this.usage.set(accountId, { ...this.usage.get(accountId), ...patch })
  }

  /** Makes GET /codex/usage answer this status (e.g. 403, which is not an auth failure). */
  setUsageStatus(accountId: string, status: number | undefined): void {
    if (status === undefined) this.usageStatus.delete(accountId)
    else this.usageStatus.set(accountId, status)
  }

  requestsFor(accountId: string): BackendRequest[] {
    return this.requests.filter((r) => r.accountId === accountId && r.path.endsWith('/codex/responses'))
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await this.http.close()
  }

  private nowS(): number {
    return Math.floor((this.opts.now ?? Date.now)() / 1000)
  }

  private usageOf(accountId: string, planType: string): UsageState {
    // Unpatched fields follow the clock and the caller's plan, so a patch never goes stale.
    return { ...defaultUsage(this.nowS(), planType), ...this.usage.get(accountId) }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.http.origin).pathname
    const raw = await readBody(req)
    let body: unknown
    try {
      body = raw === '' ? undefined : JSON.parse(raw)
    } catch {
      body = raw
    }
    const caller = identifyCaller(req, {
      nowS: this.nowS(),
      checkExpiry: this.opts.checkExpiry,
      tokenValid: this.opts.tokenValid,
    })
    const record: BackendRequest = {
      at: (this.opts.now ?? Date.now)(),
      method: req.method ?? 'GET',
      path,
      headers: flatHeaders(req),
      body,
      ...(typeof caller === 'string'
        ? {}
        : { accountId: caller.accountId, userId: caller.userId, email: caller.email }),
    }
    this.requests.push(record)
    res.on('finish', () => (record.status = res.statusCode))
    res.on('close', () => {
      if (!res.writableFinished)
        this.disconnects.push({ at: (this.opts.now ?? Date.now)(), path, accountId: record.accountId })
    })

    const route = `${req.method} ${path}`
    if (route === 'POST /backend-api/codex/responses') return this.responses(caller, body, res)
    if (route === 'GET /backend-api/codex/usage') return this.usageEndpoint(caller, res)
    // The old endpoint began answering 403 for valid tokens; clients must not depend on it.
    if (route === 'GET /backend-api/wham/usage') return sendJson(res, 403, { detail: 'Forbidden' })
    sendJson(res, 404, { detail: 'Not Found' })
  }

  private async responses(caller: Caller | string, body: unknown, res: ServerResponse): Promise<void> {
    if (typeof caller === 'string') return refuse(res, caller)
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
    // The Codex backend only streams and never stores; both are 400s there too.
    if (b.stream !== true) return sendJson(res, 400, { detail: 'Stream must be set to true' })
    if (b.store !== false) return sendJson(res, 400, { detail: 'Store must be set to false' })
    const model = typeof b.model === 'string' ? b.model : 'gpt-5'
    const behavior = this.behaviors.get(caller.accountId) ?? this.behaviors.get('*') ?? 'ok'
    const usage = this.usageOf(caller.accountId, caller.planType)

    if (behavior !== 'ok' && 'cyberPolicy' in behavior) {
      if (b.service_tier === 'priority') {
        return sendJson(res, 400, {
          error: {
            type: 'invalid_request_error',
            code: 'cyber_policy',
            message: 'This request was flagged by the priority-tier cyber policy.',
            param: 'service_tier',
          },
        })
      }
    } else if (behavior !== 'ok' && 'status' in behavior) {
      switch (behavior.status) {
        case 429: {
          const resetsAt = behavior.resetsAt ?? this.nowS() + 3600
          const limited = { ...usage, primaryUsedPercent: 100, primaryResetAt: resetsAt }
          return sendJson(
            res,
            429,
            {
              error: {
                type: 'usage_limit_reached',
                message: 'The usage limit has been reached',
                plan_type: caller.planType,
                resets_at: resetsAt,
                resets_in_seconds: Math.max(0, resetsAt - this.nowS()),
              },
            },
            { 'retry-after': String(Math.max(0, resetsAt - this.nowS())), ...rateLimitHeaders(limited) },
          )
        }
        case 401:
          return refuse(res, 'invalidated')
        case 402:
          return sendJson(res, 402, { detail: { code: 'deactivated_workspace' } })
        case 400:
          return sendJson(res, 400, {
            detail: `The '${model}' model is not supported when using Codex with a ChatGPT account.`,
          })
        default:
          return sendJson(res, behavior.status, { error: { message: 'Upstream error', type: 'server_error' } })
      }
    }

    if (behavior !== 'ok' && 'hangMs' in behavior && !(await this.wait(res, behavior.hangMs))) return
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...rateLimitHeaders(usage) })
    const [first, ...rest] = responseEvents(this.text, model, this.nowS())
    res.write(sseFrame(first))
    if (behavior !== 'ok' && 'slowMs' in behavior && !(await this.wait(res, behavior.slowMs))) return
    for (const e of rest) res.write(sseFrame(e))
    res.end()
  }

  /** Waits ms; false when the client went away first (noticed at once, not when the timer ends). */
  private wait(res: ServerResponse, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t)
        resolve(true)
      }, ms)
      this.timers.add(t)
      res.once('close', () => {
        clearTimeout(t)
        this.timers.delete(t)
        resolve(false)
      })
    })
  }

  private usageEndpoint(caller: Caller | string, res: ServerResponse): void {
    if (typeof caller === 'string') return refuse(res, caller)
    const status = this.usageStatus.get(caller.accountId)
    if (status !== undefined) return sendJson(res, status, { detail: 'Forbidden' })
    let usage = this.usageOf(caller.accountId, caller.planType)
    const behavior = this.behaviors.get(caller.accountId) ?? this.behaviors.get('*')
    if (typeof behavior === 'object' && 'status' in behavior && behavior.status === 429) {
      usage = { ...usage, primaryUsedPercent: 100, primaryResetAt: behavior.resetsAt ?? usage.primaryResetAt }
    }
    sendJson(res, 200, usagePayload(usage, this.nowS()))
  }
}

export function startFakeBackend(opts?: FakeBackendOptions): Promise<FakeBackend> {
  return FakeBackend.start(opts)
}
