import { describe, expect, it } from 'vitest'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import { FakeClock } from '../helpers/clock.js'
import { account, memStore, selectorFor, serveMany, withLeft } from './support.js'

const MIN = 60_000

describe('thresholds order the candidates', () => {
  function setup(settings: Record<string, unknown> = {}) {
    const clock = new FakeClock()
    const now = clock.now()
    const store = memStore(
      {
        crit: account(withLeft(5, now)), // under criticalThreshold (10)
        low: account(withLeft(20, now)), // under lowThreshold (30)
        full: account(withLeft(80, now)),
        unknown: account(), // nothing known: not treated as exhausted
      },
      { settings: { rotationStrategy: 'round-robin', ...settings } },
    )
    return { clock, store, sel: selectorFor(store) }
  }

  it('under lowThreshold after every account above it; under criticalThreshold only when nothing else is', () => {
    const { clock, store, sel } = setup()
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['full', 'unknown', 'low', 'crit'])
    // Round-robin still cycles within the first tier; the low and critical accounts wait.
    expect(serveMany(4, sel, store, clock)).toEqual(['full', 'unknown', 'full', 'unknown'])
    store.data.accounts.full.rateLimitedUntil = clock.now() + MIN
    store.data.accounts.unknown.enabled = false
    expect(serveMany(2, sel, store, clock)).toEqual(['low', 'low'])
    store.data.accounts.low.cooldownUntil = clock.now() + MIN
    expect(serveMany(1, sel, store, clock)).toEqual(['crit'])
  })

  it('the lowest remaining percent over all windows counts, and a window that has reset counts as full', () => {
    const { clock, store, sel } = setup()
    const now = clock.now()
    // 5 h window fine, weekly nearly used up: critical.
    store.data.accounts.full.rateLimits = {
      fiveHour: { usedPercent: 10, windowMinutes: 300, resetAt: now + 3_600_000, updatedAt: now },
      weekly: { usedPercent: 95, windowMinutes: 10_080, resetAt: now + 30 * MIN, updatedAt: now },
    }
    expect([...sel.candidates(store.data, {}, now)]).toEqual(['unknown', 'low', 'crit', 'full'])
    // Once its weekly window has reset (the others have not), it is back in the first tier.
    expect([...sel.candidates(store.data, {}, now + 30 * MIN + 1)]).toEqual(['full', 'unknown', 'low', 'crit'])
  })

  it('changing the thresholds changes the order (aggressive preset: 5/20)', () => {
    const { clock, store, sel } = setup({ criticalThreshold: 5, lowThreshold: 20 })
    // 20 % is no longer under 20 (first tier now); 5 % is under 20 but not under 5 (low, not critical).
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['low', 'full', 'unknown', 'crit'])
    store.data.accounts.full.rateLimitedUntil = clock.now() + MIN
    store.data.accounts.unknown.rateLimitedUntil = clock.now() + MIN
    store.data.accounts.low.rateLimitedUntil = clock.now() + MIN
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['crit'])
    for (const a of ['full', 'unknown', 'low']) delete store.data.accounts[a].rateLimitedUntil
    // 25/50: now 20 % is critical too, after 5 % in round-robin order.
    store.data.settings = { rotationStrategy: 'round-robin', criticalThreshold: 25, lowThreshold: 50 }
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['full', 'unknown', 'crit', 'low'])
    // And with the defaults (10/30): 20 % is low, 5 % critical.
    store.data.settings = { rotationStrategy: 'round-robin' }
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['full', 'unknown', 'low', 'crit'])
  })

  it('least-used still orders within a tier', () => {
    const { clock, store, sel } = setup({ rotationStrategy: 'least-used' })
    store.data.accounts.full.usageCount = 10
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['unknown', 'full', 'low', 'crit'])
  })
})

describe('plan routing', () => {
  function setup(settings: Record<string, unknown> = {}) {
    const clock = new FakeClock()
    const store = memStore(
      {
        plus1: account({ planType: 'plus' }),
        pro1: account({ planType: 'pro' }),
        plus2: account({ planType: 'plus' }),
        pro2: account({ planType: 'pro' }),
      },
      { settings: { rotationStrategy: 'round-robin', ...settings } },
    )
    return { clock, store, sel: selectorFor(store) }
  }

  it('-spark models go only to Pro accounts', () => {
    const { clock, store, sel } = setup()
    expect([...sel.candidates(store.data, { model: 'gpt-5.3-codex-spark' }, clock.now())]).toEqual(['pro1', 'pro2'])
    expect([...sel.candidates(store.data, { model: 'gpt-5.3-codex' }, clock.now())]).toEqual([
      'plus1',
      'pro1',
      'plus2',
      'pro2',
    ])
  })

  it('no Pro account free for a -spark model → NO_ELIGIBLE_ACCOUNTS that says why', () => {
    const { clock, store, sel } = setup()
    store.data.accounts.pro1.rateLimitedUntil = clock.now() + MIN
    store.data.accounts.pro2.enabled = false
    let err: unknown
    try {
      sel.candidates(store.data, { model: 'gpt-5.3-codex-spark' }, clock.now())
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(RpcError)
    expect((err as RpcError).code).toBe(ErrorCode.NO_ELIGIBLE_ACCOUNTS)
    const data = (err as RpcError).data as { accounts: { alias: string; reason?: string }[]; earliestUntil?: number }
    expect(data.accounts.find((a) => a.alias === 'plus1')?.reason).toBe('not a Pro account')
    expect(data.earliestUntil).toBe(clock.now() + MIN)
  })

  it('preferProAccounts puts Pro accounts first, below the thresholds', () => {
    const { clock, store, sel } = setup({ preferProAccounts: true })
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['pro1', 'pro2', 'plus1', 'plus2'])
    Object.assign(store.data.accounts.pro1, withLeft(20, clock.now()))
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['pro2', 'plus1', 'plus2', 'pro1'])
  })
})
