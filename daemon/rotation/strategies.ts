import type { Settings, Strategy } from '../../protocol/schemas.js'
import type { StoreData } from '../store/schema.js'
import type { SelectRequest } from '../tokens/selection.js'
import { roundRobinOrder, type SelectionIndex } from './selection-index.js'

/** What a strategy sees for one request. */
export interface StrategyContext {
  data: Readonly<StoreData>
  /** Servable aliases (healthy, not excluded, plan-routed), in store order. */
  eligible: readonly string[]
  req: SelectRequest
  settings: Settings
  now: number
  /** The pool as the selection index holds it (every alias, its position, the groups). */
  index: SelectionIndex
}

/**
 * A strategy orders every eligible alias, best first, so a failure falls
 * through to the next one in the same call (docs/architecture.md#lessons-from-the-old-plugin). `order` has no
 * side effects (rotation.get previews it); `served` moves the strategy on
 * once an alias actually served.
 */
export interface RotationStrategy {
  order(ctx: StrategyContext): string[]
  /**
   * The order after arrange() (thresholds, Pro preference), produced lazily from the index:
   * for strategies whose order needs no sort per call. Must equal arrange(order(ctx)).
   */
  arranged?(ctx: StrategyContext): Iterable<string>
  served?(alias: string, ctx: StrategyContext): void
}

export interface StrategyDeps {
  /** Hot-path store writes (rotationIndex). */
  touch(mutate: (draft: StoreData) => void): void
  /** Uniform in [0, 1); injected so tests can seed it. */
  random: () => number
}

/** Sticky sessions remembered at most; the oldest is forgotten first. */
export const MAX_STICKY_SESSIONS = 10_000

/**
 * A stable cycle over the store's aliases — all of them, healthy or not — so
 * an account dropping out and coming back does not scramble whose turn it is.
 */
export function roundRobin(deps: StrategyDeps): RotationStrategy {
  return {
    order({ data, eligible }) {
      const all = Object.keys(data.accounts)
      if (all.length === 0) return []
      const start = ((Math.trunc(data.rotationIndex) % all.length) + all.length) % all.length
      const ok = new Set(eligible)
      return [...all.slice(start), ...all.slice(0, start)].filter((a) => ok.has(a))
    },
    arranged(ctx) {
      return roundRobinOrder(ctx.index, ctx.data.rotationIndex, excluder(ctx))
    },
    served(alias, { index, now }) {
      const i = index.position.get(alias)
      if (i === undefined) return
      const next = (i + 1) % index.all.length
      deps.touch((d) => {
        d.rotationIndex = next
        d.lastRotation = now
      })
    },
  }
}

/** The caller's exclusions, as a test that costs nothing when there are none. */
function excluder(ctx: StrategyContext): (alias: string) => boolean {
  const ex = ctx.req.exclude
  return ex && ex.length ? (a) => ex.includes(a) : () => false
}

/** Fewest uses first; ties go to the one used longest ago, then store order. */
export const leastUsed: RotationStrategy = {
  order({ data, eligible }) {
    const pos = new Map(eligible.map((a, i) => [a, i]))
    const acc = (a: string) => data.accounts[a]
    return [...eligible].sort(
      (x, y) =>
        (acc(x)?.usageCount ?? 0) - (acc(y)?.usageCount ?? 0) ||
        (acc(x)?.lastUsed ?? 0) - (acc(y)?.lastUsed ?? 0) ||
        (pos.get(x) ?? 0) - (pos.get(y) ?? 0),
    )
  },
}

/** A fresh shuffle per request (Fisher–Yates over the injected random). */
export function randomOrder(deps: StrategyDeps): RotationStrategy {
  return {
    order({ eligible }) {
      const out = [...eligible]
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.min(i, Math.floor(deps.random() * (i + 1)))
        const x = out[i]
        const y = out[j]
        if (x === undefined || y === undefined) continue
        out[i] = y
        out[j] = x
      }
      return out
    },
  }
}

/** settings.accountWeights, else the account's own weight, else an equal share. */
export function weightOf(alias: string, ctx: StrategyContext): number {
  const weights = ctx.settings.accountWeights
  const fromSettings = Object.hasOwn(weights, alias) ? weights[alias] : undefined
  if (fromSettings !== undefined) return fromSettings
  const own = ctx.data.accounts[alias]?.weight
  if (own !== undefined && own > 0) return own
  return 1 / Math.max(1, ctx.index.all.length)
}

/**
 * Smooth weighted round-robin (as nginx does it): each request every eligible
 * account earns its weight, the richest is picked and pays the total back.
 * Over time each account serves in proportion to its weight, without bursts
 * and without randomness. The pick comes first, then the other eligible
 * accounts by weight, so a failing pick falls through (the old plugin
 * returned the pick alone).
 */
export function weightedRoundRobin(): RotationStrategy {
  const credit = new Map<string, number>()
  const pick = (ctx: StrategyContext): string | undefined => {
    let best: string | undefined
    let bestScore = -Infinity
    for (const a of ctx.eligible) {
      const score = (credit.get(a) ?? 0) + weightOf(a, ctx)
      if (score > bestScore) [best, bestScore] = [a, score]
    }
    return best
  }
  return {
    order(ctx) {
      const first = pick(ctx)
      if (first === undefined) return []
      const rest = ctx.eligible.filter((a) => a !== first).sort((x, y) => weightOf(y, ctx) - weightOf(x, ctx))
      return [first, ...rest]
    },
    served(alias, ctx) {
      if (!ctx.eligible.includes(alias)) return
      let total = 0
      for (const a of ctx.eligible) {
        const w = weightOf(a, ctx)
        total += w
        credit.set(a, (credit.get(a) ?? 0) + w)
      }
      credit.set(alias, (credit.get(alias) ?? 0) - total)
      for (const a of credit.keys()) if (!(a in ctx.data.accounts)) credit.delete(a)
    },
  }
}

/**
 * The same account for the same sessionKey while it stays servable, so
 * prompt caching and reasoning state survive; new sessions (and sessions
 * whose account dropped out) take the round-robin turn and stay where they
 * land. Requests without a sessionKey are plain round-robin.
 */
export function sticky(deps: StrategyDeps, maxSessions = MAX_STICKY_SESSIONS): RotationStrategy {
  const rr = roundRobin(deps)
  const sessions = new Map<string, string>()
  return {
    order(ctx) {
      const base = rr.order(ctx)
      const key = ctx.req.sessionKey
      const bound = key === undefined ? undefined : sessions.get(key)
      return bound !== undefined && base.includes(bound) ? [bound, ...base.filter((a) => a !== bound)] : base
    },
    arranged(ctx) {
      const key = ctx.req.sessionKey
      const bound = key === undefined ? undefined : sessions.get(key)
      const skip = excluder(ctx)
      const first = bound !== undefined && ctx.index.groupKey.has(bound) && !skip(bound) ? bound : undefined
      return roundRobinOrder(ctx.index, ctx.data.rotationIndex, skip, first)
    },
    served(alias, ctx) {
      const key = ctx.req.sessionKey
      if (key === undefined) return rr.served?.(alias, ctx)
      const before = sessions.get(key)
      sessions.delete(key) // re-insert: Map order is the LRU order
      sessions.set(key, alias)
      if (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value as string)
      if (before !== alias) rr.served?.(alias, ctx)
    },
  }
}

/** Drain accounts in store order: the first servable one until it is not, then the next. */
export const useUp: RotationStrategy = {
  order: ({ eligible }) => [...eligible],
}

export function buildStrategies(deps: StrategyDeps): Record<Strategy, RotationStrategy> {
  return {
    'round-robin': roundRobin(deps),
    'least-used': leastUsed,
    random: randomOrder(deps),
    'weighted-round-robin': weightedRoundRobin(),
    sticky: sticky(deps),
    'use-up': useUp,
  }
}
