import type { RpcError } from '../../protocol/errors.js'
import type { Settings } from '../../protocol/schemas.js'
import type { StoreData } from '../store/schema.js'
import type { SelectRequest, Selector } from '../tokens/selection.js'
import { forcedCandidate, forceState } from './force.js'
import { noEligibleError } from './eligibility.js'
import { healthOf } from '../health/health.js'
import { arrange, isPro, needsPro } from './order.js'
import { readSettings } from '../settings/read.js'
import { buildStrategies, type RotationStrategy, type StrategyContext } from './strategies.js'

export interface RotationSelectorDeps {
  /** The store, for hot-path state the strategies persist (rotationIndex). */
  store: { readonly data: Readonly<StoreData>; touch(mutate: (draft: StoreData) => void): void }
  /** Uniform in [0, 1); injected so `random` is reproducible in tests. */
  random: () => number
  /** Told when the account serving requests changes. */
  onActiveChange?: (alias: string, previous: string | null) => void
}

/**
 * The token engine's Selector: force mode first, then the configured
 * strategy's order over the servable accounts, then thresholds and plan
 * routing on top (see order.ts).
 */
export class RotationSelector implements Selector {
  private readonly strategies: Record<Settings['rotationStrategy'], RotationStrategy>
  private cache: { settings: unknown; top: unknown; value: Settings } | undefined

  constructor(private readonly deps: RotationSelectorDeps) {
    this.strategies = buildStrategies({ touch: (fn) => deps.store.touch(fn), random: deps.random })
  }

  candidates(data: Readonly<StoreData>, req: SelectRequest, now: number): string[] {
    const force = forceState(data, now)
    if (force.active && force.alias) return [forcedCandidate(data, force.alias, req, now)]
    const ctx = this.context(data, req, now)
    if (ctx.eligible.length === 0 && needsPro(req.model)) {
      const blocked = Object.entries(data.accounts).filter(
        ([a, acc]) => !isPro(acc) && this.servable(data, a, req, now),
      )
      if (blocked.length) throw proOnly(data, req, now)
    }
    return this.ordered(ctx)
  }

  /**
   * Nothing served: a pinned account that failed within the call is RATE_LIMITED with its
   * reason, as when it was already down; otherwise NO_ELIGIBLE_ACCOUNTS with every alias's
   * reason (a failed refresh's, for those tried) and the earliest free time.
   */
  exhausted(data: Readonly<StoreData>, req: SelectRequest, now: number, tried: ReadonlyMap<string, string>): Error {
    return this.forcedFailure(data, req, now) ?? noEligible(data, req, now, tried)
  }

  private forcedFailure(data: Readonly<StoreData>, req: SelectRequest, now: number): Error | undefined {
    const force = forceState(data, now)
    if (!force.active || !force.alias || !data.accounts[force.alias]) return undefined
    try {
      forcedCandidate(data, force.alias, { ...req, exclude: [...(req.exclude ?? []), force.alias] }, now)
    } catch (err) {
      return err instanceof Error ? err : undefined
    }
    return undefined
  }

  /** The order token.get would try now, without side effects and without force mode. */
  preview(data: Readonly<StoreData>, req: SelectRequest, now: number): string[] {
    return this.ordered(this.context(data, req, now))
  }

  served(alias: string, req: SelectRequest, now: number): void {
    const data = this.deps.store.data
    if (!forceState(data, now).active) {
      const ctx = this.context(data, req, now)
      this.strategies[ctx.settings.rotationStrategy].served?.(alias, ctx)
    }
    if (data.activeAlias !== alias) this.deps.onActiveChange?.(alias, data.activeAlias)
  }

  settings(data: Readonly<StoreData>): Settings {
    // readSettings validates with zod; the store hands out a new settings object on every change.
    if (this.cache && this.cache.settings === data.settings && this.cache.top === data.rotationStrategy)
      return this.cache.value
    const value = readSettings(data)
    this.cache = { settings: data.settings, top: data.rotationStrategy, value }
    return value
  }

  private ordered(ctx: StrategyContext): string[] {
    return arrange(this.strategies[ctx.settings.rotationStrategy].order(ctx), ctx.data, ctx.settings, ctx.now)
  }

  private servable(data: Readonly<StoreData>, alias: string, req: SelectRequest, now: number): boolean {
    const a = data.accounts[alias]
    return a !== undefined && !req.exclude?.includes(alias) && healthOf(a, now, req.model).health === 'ok'
  }

  private context(data: Readonly<StoreData>, req: SelectRequest, now: number): StrategyContext {
    const pro = needsPro(req.model)
    const eligible = Object.entries(data.accounts)
      .filter(([a, acc]) => this.servable(data, a, req, now) && (!pro || isPro(acc)))
      .map(([a]) => a)
    return { data, eligible, req, settings: this.settings(data), now }
  }
}

function noEligible(
  data: Readonly<StoreData>,
  req: SelectRequest,
  now: number,
  tried: ReadonlyMap<string, string>,
): RpcError {
  return noEligibleError(data, req, now, {
    reasonFor: (alias) => tried.get(alias),
    message: (earliest, count) =>
      count === 0
        ? 'no accounts: add one with `opencode-multi-auth add`'
        : `no eligible account${earliest ? `; the first frees up at ${new Date(earliest).toISOString()}` : ''}`,
  })
}

/** NO_ELIGIBLE_ACCOUNTS that says why healthy accounts were passed over: the model needs Pro. */
function proOnly(data: Readonly<StoreData>, req: SelectRequest, now: number): RpcError {
  return noEligibleError(data, req, now, {
    reasonFor: (_alias, a) => (isPro(a) ? undefined : 'not a Pro account'),
    // Only a Pro account freeing up helps this model.
    helps: isPro,
    message: () => `model ${req.model} is served only by Pro accounts, and no Pro account is available`,
  })
}
