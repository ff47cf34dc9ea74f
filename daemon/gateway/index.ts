/**
 * The gateway component: the local ChatGPT backend for the Codex CLI (docs/codex.md).
 * Built by the composition root with the same engine and report intake as token.get and
 * token.report; on when the `gatewayEnabled` setting (or the daemon's --gateway flag) says
 * so, and it follows setting changes while the daemon runs.
 */
import type { GatewayStatus, ReportResult, TokenResult } from '../../protocol/methods.js'
import type { Settings } from '../../protocol/schemas.js'
import type { FetchFn, ReportParams, TokenRequest, TokenSource } from '../../upstream/types.js'
import type { Clock, Logger } from '../deps.js'
import { proxiedOutbound, type ProxyOptions } from '../net/proxy.js'
import { fetchTransport } from '../../upstream/send.js'
import type { Transport } from '../../upstream/types.js'
import { nodeTransport, type NodeAnswer } from './node-transport.js'
import type { RotationService } from '../rotation/service.js'
import type { AccountStore } from '../store/store.js'
import { MIN_VALIDITY_MS } from '../tokens/engine.js'
import type { Refresher } from '../tokens/refresher.js'
import { createRoutes, type NextAccount } from './routes.js'
import { ensureGatewaySecret } from './secret.js'
import { GatewayListener } from './server.js'
import { GatewayStats } from './stats.js'

export interface GatewayDeps {
  secretFile: string
  chatgptBase: string
  /** --gateway / --gateway-port: on (and where) whatever the settings say. */
  forced?: { port?: number }
  tokens: { get(req: TokenRequest): Promise<TokenResult> }
  report(params: ReportParams): Promise<ReportResult>
  rotation: Pick<RotationService, 'get'>
  store: AccountStore
  refresher: Pick<Refresher, 'refresh'>
  fetch: FetchFn
  /**
   * What the daemon's outbound fetch is made of. Given, the gateway builds its own from it
   * (net/proxy.ts: the same proxy rules, plain requests on undici's `request`, about 0.3 ms
   * less per Codex request than Node's fetch); undici then loads with the gateway, not at
   * the daemon's start. Without it the gateway uses `fetch`.
   */
  outbound?: ProxyOptions
  clock: Clock
  logger: Logger
  headersTimeoutMs?: number
  idleTimeoutMs?: number
}

export class Gateway {
  private listener: GatewayListener | undefined
  private port: number | undefined
  private readonly stats: GatewayStats
  private readonly fetch: FetchFn
  private readonly transport: Transport<Response | NodeAnswer>
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly deps: GatewayDeps) {
    this.stats = new GatewayStats(() => deps.clock.now())
    if (deps.outbound) {
      const out = proxiedOutbound(deps.outbound)
      this.fetch = out.fetch
      this.transport = nodeTransport(out.dispatcher, out.fullFetch)
    } else {
      this.fetch = deps.fetch
      this.transport = fetchTransport(deps.fetch)
    }
  }

  status(): GatewayStatus {
    const url = this.listener?.url
    return {
      enabled: url !== undefined,
      ...(url ? { url } : {}),
      requests: this.stats.requests,
      failovers: this.stats.failovers,
      ...(this.stats.lastError ? { lastError: this.stats.lastError } : {}),
    }
  }

  /** Starts, stops or moves the listener to match the settings; serialized, so changes apply in order. */
  apply(settings: Pick<Settings, 'gatewayEnabled' | 'gatewayPort'>): Promise<void> {
    const want = this.deps.forced
      ? (this.deps.forced.port ?? settings.gatewayPort)
      : settings.gatewayEnabled
        ? settings.gatewayPort
        : undefined
    this.chain = this.chain.then(async () => {
      if (want === this.port && this.listener) return
      await this.stopListener()
      if (want === undefined) return
      const listener = this.build()
      try {
        await listener.listen(want)
      } catch (err) {
        const message = `the gateway could not listen on 127.0.0.1:${want}: ${err instanceof Error ? err.message : String(err)}`
        this.stats.error(message)
        this.deps.logger.error(message)
        return
      }
      this.listener = listener
      this.port = want
      this.deps.logger.info('gateway listening', { url: listener.url })
    })
    return this.chain
  }

  close(): Promise<void> {
    this.chain = this.chain.then(() => this.stopListener())
    return this.chain
  }

  private async stopListener(): Promise<void> {
    const l = this.listener
    this.listener = undefined
    this.port = undefined
    await l?.close()
  }

  private build(): GatewayListener {
    const d = this.deps
    const tokens: TokenSource = {
      get: (req) => d.tokens.get(req),
      report: (p) => d.report(p).catch(() => undefined),
    }
    const routes = createRoutes({
      tokens,
      next: this.nextAccount,
      fetch: this.fetch,
      transport: this.transport,
      chatgptBase: d.chatgptBase,
      headersTimeoutMs: d.headersTimeoutMs ?? 120_000,
      idleTimeoutMs: d.idleTimeoutMs ?? 300_000,
      now: () => d.clock.now(),
      stats: this.stats,
    })
    return new GatewayListener({
      secret: ensureGatewaySecret(d.secretFile),
      isPoolToken: (t) => Object.values(d.store.data.accounts).some((a) => a.accessToken === t),
      route: routes,
      stats: this.stats,
      logger: d.logger,
    })
  }

  /** The account token.get would try first, without moving the rotation (for usage and pass-through calls). */
  private readonly nextAccount: NextAccount = async () => {
    const { order } = this.deps.rotation.get()
    const now = this.deps.clock.now()
    for (const entry of order) {
      if (entry.health !== 'ok') continue
      const acc = this.deps.store.data.accounts[entry.alias]
      if (!acc) continue
      try {
        const fresh =
          acc.expiresAt - now > MIN_VALIDITY_MS
            ? acc
            : await this.deps.refresher.refresh(entry.alias, 'expiring', { unlessValidFor: MIN_VALIDITY_MS })
        return {
          token: {
            alias: entry.alias,
            accessToken: fresh.accessToken,
            expiresAt: fresh.expiresAt,
            ...(fresh.accountId ? { accountId: fresh.accountId } : {}),
          },
        }
      } catch {
        continue
      }
    }
    const untils = order.map((o) => o.until).filter((u): u is number => typeof u === 'number' && u > now)
    return untils.length ? { resetAt: Math.min(...untils) } : {}
  }
}
