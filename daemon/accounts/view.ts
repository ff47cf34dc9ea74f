import type { AccountView } from '../../protocol/schemas.js'
import { limitsView } from '../limits/view.js'
import { healthOf } from '../health/health.js'
import type { Account } from '../store/schema.js'

/** The only way an account leaves the daemon: an explicit allow-list, so no token can slip out. */
export function toView(alias: string, a: Account, now: number, weight?: number): AccountView {
  const h = healthOf(a, now)
  const view: AccountView = {
    alias,
    enabled: a.enabled !== false,
    health: h.health,
    usageCount: a.usageCount ?? 0,
    limits: limitsView(a, now),
    tags: a.tags ?? [],
    hasIdToken: Boolean(a.idToken),
  }
  const optional: Partial<AccountView> = {
    email: a.email,
    accountId: a.accountId,
    userId: a.userId,
    planType: a.planType,
    reason: h.reason,
    until: h.until,
    expiresAt: a.expiresAt || undefined,
    lastRefresh: a.lastRefresh,
    lastUsed: a.lastUsed,
    notes: a.notes,
    weight: weight ?? a.weight,
    source: a.source,
  }
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (view as unknown as Record<string, unknown>)[k] = v
  return view
}
