/**
 * limits.refresh / limits.stop: a queue of aliases whose limits are read from
 * the usage endpoint one at a time (one account's probe never races another's,
 * and the backend sees no burst). The token comes through the Refresher, the
 * only code that spends refresh tokens, so an expiring one is refreshed first.
 */
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { LimitsQueueState } from '../../protocol/methods.js'
import { requireAccount } from '../store/lookup.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { Clock, FetchFn, Logger } from '../deps.js'
import type { EventBus } from '../events.js'
import { healthOf } from '../health/health.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import { MIN_VALIDITY_MS } from '../tokens/engine.js'
import { AccountGoneError, type Refresher } from '../tokens/refresher.js'
import { handleUnauthorized } from '../tokens/unauthorized.js'
import { recordLimits } from './record.js'
import { ProbeQueue } from './queue.js'
import { readUsage, UsageReadError, type UsageRead } from './usage.js'

export interface ProbeDeps {
  store: AccountStore
  refresher: Refresher
  bus: EventBus
  clock: Clock
  logger: Logger
  fetch: FetchFn
  /** config.chatgptBaseUrl */
  baseUrl: string
  timeoutMs?: number
}

/** Why this account cannot be probed at all, or undefined when it can. */
function unprobeable(alias: string, a: Account, now: number): string | undefined {
  const h = healthOf(a, now)
  if (h.health === 'disabled') return `account ${alias} is disabled; enable it to read its limits`
  if (h.health === 'auth_invalid') return `account ${alias} must sign in again before its limits can be read`
  if (!a.accountId) return `account ${alias} has no ChatGPT account id; sign in again to read its limits`
  return undefined
}

export class LimitsProbe {
  private readonly queue: ProbeQueue

  constructor(private readonly deps: ProbeDeps) {
    this.queue = new ProbeQueue(
      (alias, signal) => this.probe(alias, signal),
      (alias, outcome) =>
        deps.bus.emit('limits.updated', { alias, source: 'probe', ...outcome, pending: this.pending() }),
      deps.logger,
    )
  }

  /** Queues one alias, or (none given) every account worth reading; answers at once. */
  refresh(alias?: string): LimitsQueueState {
    const data = this.deps.store.data
    const now = this.deps.clock.now()
    if (alias !== undefined) {
      const why = unprobeable(alias, requireAccount(data, alias), now)
      if (why) throw new RpcError(ErrorCode.LIMITS_UNAVAILABLE, why, { alias })
      return this.queue.add([alias])
    }
    // Cooling-down (a refresh just failed) and deactivated workspaces are skipped: a read
    // would fail or spend a refresh for nothing. Rate-limited accounts are read: when
    // their windows reset is exactly what a person wants to know.
    const skip = new Set(['cooldown', 'workspace_deactivated'])
    const aliases = Object.entries(data.accounts)
      .filter(([a, acc]) => !unprobeable(a, acc, now) && !skip.has(healthOf(acc, now).health))
      .map(([a]) => a)
    if (aliases.length === 0) {
      throw new RpcError(
        ErrorCode.LIMITS_UNAVAILABLE,
        'no account can be probed now (disabled, signed out or cooling down)',
      )
    }
    return this.queue.add(aliases)
  }

  /** Drops queued aliases (all, or one); a probe under way finishes. */
  stop(alias?: string): LimitsQueueState {
    if (alias !== undefined) requireAccount(this.deps.store.data, alias)
    const dropped = this.queue.drop(alias)
    // Clients waiting for these probes learn they will not come.
    if (dropped.length)
      this.deps.bus.emit('limits.updated', {
        source: 'probe',
        change: 'stopped',
        aliases: dropped,
        pending: this.pending(),
      })
    return this.queue.state()
  }

  state(): LimitsQueueState {
    return this.queue.state()
  }

  /** Probes waiting or running: events carry it so a waiting client knows when the queue is empty. */
  private pending(): number {
    const s = this.queue.state()
    return s.queued.length + (s.running === null ? 0 : 1)
  }

  /** Empties the queue and aborts the probe under way (daemon stop). */
  close(): Promise<void> {
    return this.queue.close()
  }

  private async probe(alias: string, signal: AbortSignal): Promise<{ ok: boolean; error?: string }> {
    let error: string
    try {
      const read = await this.read(alias, signal)
      await this.record(alias, (a, now) => {
        recordLimits(a, read.limits, now)
        delete a.limitError
        delete a.lastLimitErrorAt
      })
      return { ok: true }
    } catch (err) {
      if (err instanceof UsageReadError || isRefreshError(err)) error = err.message
      else if (err instanceof AccountGoneError) error = `account ${alias} was removed`
      else if (err instanceof RpcError) error = err.message
      else throw err
    }
    // Cut short by the daemon stopping: that says nothing about the account's limits.
    if (signal.aborted) return { ok: false, error }
    // Only the limits are marked: a refused read (403 included) says nothing about the sign-in.
    await this.record(alias, (a, now) => {
      a.limitError = error
      a.lastLimitErrorAt = now
    })
    this.deps.logger.warn('limits probe failed', { alias, error })
    return { ok: false, error }
  }

  private async record(alias: string, fn: (a: Account, now: number) => void): Promise<void> {
    const now = this.deps.clock.now()
    await this.deps.store.update((d) => {
      const a = d.accounts[alias]
      if (a) fn(a, now)
    })
  }

  private async read(alias: string, signal: AbortSignal): Promise<UsageRead> {
    const acc = this.deps.store.data.accounts[alias]
    if (!acc) throw new AccountGoneError(`account ${alias} was removed`)
    // Checked again: the account may have changed while it waited in the queue.
    const why = unprobeable(alias, acc, this.deps.clock.now())
    if (why) throw new UsageReadError(why)
    const once = async (): Promise<UsageRead> => {
      const fresh = await this.deps.refresher.refresh(alias, 'limits-probe', { unlessValidFor: MIN_VALIDITY_MS })
      if (signal.aborted) throw new UsageReadError('the probe was stopped')
      return readUsage({
        baseUrl: this.deps.baseUrl,
        accessToken: fresh.accessToken,
        accountId: fresh.accountId ?? '',
        fetch: this.deps.fetch,
        clock: this.deps.clock,
        timeoutMs: this.deps.timeoutMs,
        signal,
      })
    }
    try {
      return await once()
    } catch (err) {
      if (!(err instanceof UsageReadError) || err.status !== 401) throw err
    }
    // A 401 means the access token was revoked or rotated elsewhere: one refresh settles it.
    const answer = await handleUnauthorized(alias, this.deps)
    if (answer.health !== 'ok')
      throw new UsageReadError('the usage endpoint answered HTTP 401 and the token could not be refreshed', 401)
    return once()
  }
}
