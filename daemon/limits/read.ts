import type { LimitsResult } from '../../protocol/methods.js'
import { requireAccount } from '../store/lookup.js'
import type { StoreData } from '../store/schema.js'
import { limitsView } from './view.js'

/** limits.get: every account's windows (or one alias's), with confidence computed for `now`. */
export function readLimits(data: Readonly<StoreData>, now: number, alias?: string): LimitsResult {
  const aliases = alias === undefined ? Object.keys(data.accounts) : [alias]
  return {
    accounts: aliases.map((a) => ({ alias: a, limits: limitsView(requireAccount(data as StoreData, a), now) })),
  }
}
