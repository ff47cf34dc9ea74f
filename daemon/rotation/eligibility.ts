import type { Eligibility, NoEligibleData } from '../../protocol/error-data.js'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { Account, StoreData } from '../store/schema.js'
import type { SelectRequest } from '../tokens/selection.js'
import { healthOf } from '../health/health.js'

/**
 * The data of NO_ELIGIBLE_ACCOUNTS: every alias with its health and reason, and the
 * earliest time one that could help frees up. `reasonFor` overrides the health's reason.
 */
export function noEligibleError(
  data: Readonly<StoreData>,
  req: SelectRequest,
  now: number,
  opts: {
    message: (earliestUntil: number | undefined, count: number) => string
    reasonFor?: (alias: string, a: Account) => string | undefined
    helps?: (a: Account) => boolean
  },
): RpcError {
  const accounts: Eligibility[] = Object.entries(data.accounts).map(([alias, a]) => {
    const h = healthOf(a, now, req.model)
    const excluded = h.health === 'ok' && req.exclude?.includes(alias) ? 'excluded by the caller' : undefined
    return { alias, health: h.health, reason: opts.reasonFor?.(alias, a) ?? excluded ?? h.reason, until: h.until }
  })
  const times = accounts
    .filter((e) => {
      const a = data.accounts[e.alias]
      return !a || (opts.helps?.(a) ?? true)
    })
    .map((e) => e.until)
    .filter((t): t is number => typeof t === 'number' && t > now)
  const earliestUntil = times.length ? Math.min(...times) : undefined
  const body: NoEligibleData = { accounts, earliestUntil, ...(req.model ? { model: req.model } : {}) }
  return new RpcError(ErrorCode.NO_ELIGIBLE_ACCOUNTS, opts.message(earliestUntil, accounts.length), body)
}
