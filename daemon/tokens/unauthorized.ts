import type { ReportResult } from '../../protocol/methods.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { Clock } from '../deps.js'
import type { AccountStore } from '../store/store.js'
import type { Refresher } from './refresher.js'

/** A refresh this recent already answered the 401 that several requests in flight may report. */
export const RECENT_REFRESH_MS = 15_000

/**
 * The backend said 401: the access token was revoked or rotated elsewhere.
 * One refresh settles it — success means retry (on this account, with the new
 * token), a permanent failure leaves the account auth_invalid and the client
 * retries on another account.
 */
export async function handleUnauthorized(
  alias: string,
  deps: { store: AccountStore; refresher: Refresher; clock: Clock },
): Promise<ReportResult> {
  const acc = deps.store.data.accounts[alias]
  if (!acc) return { retry: true }
  const last = acc.lastRefresh ? Date.parse(acc.lastRefresh) : NaN
  if (Number.isFinite(last) && deps.clock.now() - last < RECENT_REFRESH_MS && !deps.refresher.isRefreshing(alias)) {
    return { retry: true, health: 'ok' }
  }
  try {
    await deps.refresher.refresh(alias, 'unauthorized')
    return { retry: true, health: 'ok' }
  } catch (err) {
    if (!isRefreshError(err)) throw err
    const a = deps.store.data.accounts[alias]
    return err.permanent
      ? { retry: true, health: 'auth_invalid' }
      : { retry: true, health: 'cooldown', cooldownUntil: a?.cooldownUntil }
  }
}
