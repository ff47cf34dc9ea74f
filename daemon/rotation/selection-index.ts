import type { Settings } from '../../protocol/schemas.js'
import type { Account, StoreData } from '../store/schema.js'
import { healthOf } from '../health/health.js'
import { isPro, needsPro, tierOf, TIER_RANK } from './order.js'

/**
 * What selection needs to know about the pool for one model, computed by one
 * scan and kept until something it depends on changes: the store (a new state,
 * or a revision bump from an in-place change such as limits from headers),
 * the settings, or the clock reaching `validUntil`, the earliest time a
 * health state or a limit window of any account ends by itself. In between,
 * token.get pays nothing that grows with the number of accounts.
 */
export interface SelectionIndex {
  readonly data: Readonly<StoreData>
  readonly revision: number
  readonly settings: Settings
  /** The next instant a cooldown, limit, block, limit window or pin ends (Infinity: none). */
  readonly validUntil: number
  /** Every alias, store order (round-robin cycles over all of them). */
  readonly all: readonly string[]
  readonly position: ReadonlyMap<string, number>
  /** Servable aliases (healthy, plan-routed), store order, before exclusions. */
  readonly eligible: readonly string[]
  /** The arrange() group key (tier, then Pro preference) per eligible alias. */
  readonly groupKey: ReadonlyMap<string, number>
  /** Eligible aliases by group, groups best first, each in store order. */
  readonly groups: readonly (readonly string[])[]
}

/** Time fields after which healthOf() or tierOf() may answer differently. */
function nextChange(a: Account, now: number): number {
  let t = Infinity
  for (const u of [a.workspaceDeactivatedUntil, a.rateLimitedUntil, a.modelUnsupportedUntil, a.cooldownUntil]) {
    if (u !== undefined && u > now && u < t) t = u
  }
  for (const w of [a.rateLimits?.fiveHour, a.rateLimits?.weekly]) {
    const r = w?.resetAt
    if (r !== undefined && r > now && r < t) t = r
  }
  return t
}

export function buildIndex(
  data: Readonly<StoreData>,
  revision: number,
  settings: Settings,
  model: string | undefined,
  now: number,
): SelectionIndex {
  const all = Object.keys(data.accounts)
  const position = new Map<string, number>()
  const eligible: string[] = []
  const groupKey = new Map<string, number>()
  const byKey = new Map<number, string[]>()
  const pro = needsPro(model)
  let validUntil = typeof data.forcedUntil === 'number' && data.forcedUntil > now ? data.forcedUntil : Infinity
  for (let i = 0; i < all.length; i++) {
    const alias = all[i] as string
    const a = data.accounts[alias] as Account
    position.set(alias, i)
    const next = nextChange(a, now)
    if (next < validUntil) validUntil = next
    if (healthOf(a, now, model).health !== 'ok' || (pro && !isPro(a))) continue
    eligible.push(alias)
    const key = TIER_RANK[tierOf(a, settings, now)] * 2 + (settings.preferProAccounts && !isPro(a) ? 1 : 0)
    groupKey.set(alias, key)
    const group = byKey.get(key)
    if (group) group.push(alias)
    else byKey.set(key, [alias])
  }
  const groups = [...byKey.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g)
  return { data, revision, settings, validUntil, all, position, eligible, groupKey, groups }
}

export function indexValid(
  ix: SelectionIndex,
  data: Readonly<StoreData>,
  revision: number,
  settings: Settings,
  now: number,
): boolean {
  return ix.data === data && ix.revision === revision && ix.settings === settings && now < ix.validUntil
}

/**
 * Round-robin's order after arrange(): within each group, the members from
 * the rotation's start onwards, then the ones before it. Equal to rotating
 * every alias and stable-sorting by group, without touching the others.
 */
export function* roundRobinOrder(
  ix: SelectionIndex,
  rotationIndex: number,
  skip: (alias: string) => boolean,
  first?: string,
): Generator<string> {
  const n = ix.all.length
  if (n === 0) return
  const start = ((Math.trunc(rotationIndex) % n) + n) % n
  const firstKey = first === undefined ? undefined : ix.groupKey.get(first)
  for (const group of ix.groups) {
    if (firstKey !== undefined && ix.groupKey.get(group[0] as string) === firstKey) {
      if (!skip(first as string)) yield first as string
    }
    const k = lowerBound(group, start, ix.position)
    for (let i = 0; i < group.length; i++) {
      const alias = group[(k + i) % group.length] as string
      if (alias !== first && !skip(alias)) yield alias
    }
  }
}

/** The first member of `group` (ascending positions) at or after `start`; group.length wraps to 0. */
function lowerBound(group: readonly string[], start: number, position: ReadonlyMap<string, number>): number {
  let lo = 0
  let hi = group.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((position.get(group[mid] as string) as number) < start) lo = mid + 1
    else hi = mid
  }
  return lo === group.length ? 0 : lo
}

/** arrange() over a strategy's order, with the group keys the index already holds. */
export function arrangeIndexed(order: readonly string[], ix: SelectionIndex): string[] {
  if (ix.groups.length <= 1) return [...order]
  const key = ix.groupKey
  return [...order].sort((x, y) => (key.get(x) as number) - (key.get(y) as number))
}
