import type { Settings } from '../../protocol/schemas.js'
import { minRemainingPercent } from '../limits/view.js'
import type { Account, StoreData } from '../store/schema.js'

/** normal: above lowThreshold (or nothing known); low: under it; critical: under criticalThreshold. */
export type Tier = 'normal' | 'low' | 'critical'
export const TIER_RANK: Readonly<Record<Tier, number>> = { normal: 0, low: 1, critical: 2 }

export function tierOf(a: Account, settings: Settings, now: number): Tier {
  const left = minRemainingPercent(a, now)
  // Unknown limits are not evidence of exhaustion: such an account stays in the first tier.
  if (left === undefined) return 'normal'
  if (left < settings.criticalThreshold) return 'critical'
  if (left < settings.lowThreshold) return 'low'
  return 'normal'
}

export function isPro(a: Account): boolean {
  return (a.planType ?? '').toLowerCase() === 'pro'
}

/** `-spark` models are served only by Pro accounts. */
export function needsPro(model: string | undefined): boolean {
  return model !== undefined && model.toLowerCase().includes('-spark')
}

/**
 * Applies what every strategy shares on top of the strategy's own order:
 * thresholds first (an account under lowThreshold after every account above
 * it, under criticalThreshold only when nothing else is left), then Pro
 * accounts first when the settings ask for it. The sort is stable, so the
 * strategy's order survives within each group.
 */
export function arrange(order: string[], data: Readonly<StoreData>, settings: Settings, now: number): string[] {
  const key = new Map<string, number>()
  for (const alias of order) {
    const a = data.accounts[alias]
    if (!a) continue
    const tier = TIER_RANK[tierOf(a, settings, now)]
    const pro = settings.preferProAccounts && !isPro(a) ? 1 : 0
    key.set(alias, tier * 2 + pro)
  }
  return [...order].sort((x, y) => (key.get(x) ?? Infinity) - (key.get(y) ?? Infinity))
}
