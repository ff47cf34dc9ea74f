import type { RpcError } from '../../protocol/errors.js'
import type { Settings } from '../../protocol/schemas.js'
import type { StoreData } from '../store/schema.js'
import type { SelectRequest, Selector } from '../tokens/selection.js'
import { forcedCandidate, forceState } from './force.js'
import { noEligibleError } from './eligibility.js'
import { healthOf } from '../health/health.js'
import { isPro, needsPro } from './order.js'
import { arrangeIndexed, buildIndex, indexValid, type SelectionIndex } from './selection-index.js'
import { readSettings } from '../settings/read.js'
import { buildStrategies, type RotationStrategy, type StrategyContext } from './strategies.js'

export interface RotationSelectorDeps {
  /**
   * The store, for hot-path state the strategies persist (rotationIndex). `revision` moves on
   * every change that is not a counter; without it the index is rebuilt on every call.
   */
  store: {
    readonly data: Readonly<StoreData>
    readonly revision?: number
    touch(mutate: (draft: StoreData) => void, kind?: 'counters' | 'state'): void
  }
  /** Uniform in [0, 1); injected so `random` is reproducible in tests. */
  random: () => number
  /** Told when the account serving requests changes. */
  onActiveChange?: (alias: string, previous: string | null) => void
}

const MAX_INDEXED_MODELS = 32

/**
 * The token engine's Selector: force mode first, then the configured
 * strategy's order over the servable accounts, then thresholds and plan
 * routing on top (see order.ts).
 */
export class RotationSelector implements Selector {
  private readonly strategies: Record<Settings['rotationStrategy'], RotationStrategy>
  private cache: { settings: unknown; top: unknown; value: Settings } | undefined
  /** One index per model named in requests (per-model blocks and Pro routing differ). */
  private readonly indexes = new Map<string, SelectionIndex>()

  constructor(private readonly deps: RotationSelectorDeps) {
    this.strategies = buildStrategies({ touch: (fn) => deps.store.touch(fn, 'counters'), random: deps.random })
  }

  candidates(data: Readonly<StoreData>, req: SelectRequest, now: number): Iterable<string> {
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
    return [...this.ordered(this.context(data, req, now))]
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

  private ordered(ctx: StrategyContext): Iterable<string> {
    const strategy = this.strategies[ctx.settings.rotationStrategy]
    return strategy.arranged?.(ctx) ?? arrangeIndexed(strategy.order(ctx), ctx.index)
  }

  private servable(data: Readonly<StoreData>, alias: string, req: SelectRequest, now: number): boolean {
    const a = data.accounts[alias]
    return a !== undefined && !req.exclude?.includes(alias) && healthOf(a, now, req.model).health === 'ok'
  }

  private context(data: Readonly<StoreData>, req: SelectRequest, now: number): StrategyContext {
    const index = this.index(data, req.model, now)
    const ex = req.exclude
    const eligible = ex && ex.length ? index.eligible.filter((a) => !ex.includes(a)) : index.eligible
    return { data, eligible, req, settings: index.settings, now, index }
  }

  /** The pool's selection state for `model`: reused until the store, settings or a due time moves. */
  private index(data: Readonly<StoreData>, model: string | undefined, now: number): SelectionIndex {
    const settings = this.settings(data)
    // NaN never equals itself: a store without revisions gets a fresh scan every time.
    const revision = this.deps.store.revision ?? NaN
    const key = model ?? ''
    const cached = this.indexes.get(key)
    if (cached && indexValid(cached, data, revision, settings, now)) return cached
    const fresh = buildIndex(data, revision, settings, model, now)
    // Model names come from clients: keep a bounded few.
    if (!cached && this.indexes.size >= MAX_INDEXED_MODELS) this.indexes.clear()
    this.indexes.set(key, fresh)
    return fresh
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
