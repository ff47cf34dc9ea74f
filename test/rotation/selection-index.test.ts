import { describe, expect, it } from 'vitest'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { Strategy } from '../../protocol/schemas.js'
import { healthOf } from '../../daemon/health/health.js'
import { forcedCandidate, forceState } from '../../daemon/rotation/force.js'
import { arrange, isPro, needsPro } from '../../daemon/rotation/order.js'
import { RotationSelector } from '../../daemon/rotation/selector.js'
import { readSettings } from '../../daemon/settings/read.js'
import type { StoreData } from '../../daemon/store/schema.js'
import type { SelectRequest } from '../../daemon/tokens/selection.js'
import { account, seeded } from './support.js'

const MIN = 60_000

/**
 * The computation the index replaced, kept here as the oracle: scan every account, filter the
 * servable ones, order by the strategy, arrange by thresholds and Pro preference — per call.
 */
function fullScan(data: StoreData, req: SelectRequest, now: number): string[] {
  const force = forceState(data, now)
  if (force.active && force.alias) return [forcedCandidate(data, force.alias, req, now)]
  const settings = readSettings(data)
  const pro = needsPro(req.model)
  const servable = (a: string) =>
    !req.exclude?.includes(a) && healthOf(data.accounts[a], now, req.model).health === 'ok'
  const eligible = Object.keys(data.accounts).filter((a) => servable(a) && (!pro || isPro(data.accounts[a])))
  if (eligible.length === 0 && pro && Object.keys(data.accounts).some((a) => servable(a)))
    throw new RpcError(ErrorCode.NO_ELIGIBLE_ACCOUNTS, 'pro only')
  let order: string[]
  const all = Object.keys(data.accounts)
  switch (settings.rotationStrategy) {
    case 'round-robin': {
      const start = all.length ? ((Math.trunc(data.rotationIndex) % all.length) + all.length) % all.length : 0
      const ok = new Set(eligible)
      order = [...all.slice(start), ...all.slice(0, start)].filter((a) => ok.has(a))
      break
    }
    case 'least-used': {
      const pos = new Map(eligible.map((a, i) => [a, i]))
      const acc = (a: string) => data.accounts[a]
      order = [...eligible].sort(
        (x, y) =>
          (acc(x).usageCount ?? 0) - (acc(y).usageCount ?? 0) ||
          (acc(x).lastUsed ?? 0) - (acc(y).lastUsed ?? 0) ||
          (pos.get(x) as number) - (pos.get(y) as number),
      )
      break
    }
    default:
      order = [...eligible]
  }
  return arrange(order, data, settings, now)
}

/** AccountStore's semantics in memory: update() replaces the state, touch() changes it in place. */
function revStore(data: StoreData) {
  const s = {
    data,
    revision: 0,
    update(fn: (d: StoreData) => void) {
      const next = structuredClone(s.data)
      fn(next)
      s.data = next
      s.revision++
    },
    touch(fn: (d: StoreData) => void, kind: 'counters' | 'state' = 'state') {
      fn(s.data)
      if (kind === 'state') s.revision++
    },
  }
  return s
}

function outcome(run: () => Iterable<string>): string[] | string {
  try {
    return [...run()]
  } catch (err) {
    return `throws ${String((err as { code?: number }).code)}`
  }
}

const STRATEGIES: Strategy[] = ['round-robin', 'least-used', 'use-up']
const MODELS = [undefined, 'gpt-5.3-codex', 'gpt-5.3-codex-spark']

function runSequence(seed: number, steps: number, size: number): number {
  const rnd = seeded(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  let now = Date.UTC(2026, 10, 28, 12)
  const aliases = Array.from({ length: size }, (_, i) => `a${i}`)
  const accounts = Object.fromEntries(aliases.map((a, i) => [a, account({ planType: i % 3 === 0 ? 'pro' : 'plus' })]))
  const store = revStore({ version: 2, accounts, activeAlias: null, rotationIndex: 0, lastRotation: 0 })
  const sel = new RotationSelector({ store, random: seeded(seed) })
  let compared = 0
  const until = () => now + Math.floor(rnd() * 30) * MIN
  const ops: Array<() => void> = [
    () => store.update((d) => void ((d.accounts[pick(aliases)]).cooldownUntil = until())),
    () => store.update((d) => void ((d.accounts[pick(aliases)]).rateLimitedUntil = until())),
    () => store.update((d) => void ((d.accounts[pick(aliases)]).workspaceDeactivatedUntil = until())),
    () =>
      store.update((d) => {
        const a = d.accounts[pick(aliases)]
        a.modelUnsupportedUntil = until()
        a.modelUnsupportedModel = pick(['gpt-5.3-codex', 'gpt-5.3-codex-spark'])
      }),
    () => store.update((d) => void ((d.accounts[pick(aliases)]).enabled = rnd() < 0.5)),
    () => store.update((d) => void ((d.accounts[pick(aliases)]).authInvalid = rnd() < 0.3)),
    // Limits from response headers land in place (touch), as the report intake does it.
    () =>
      store.touch((d) => {
        ;(d.accounts[pick(aliases)]).rateLimits = {
          fiveHour: { usedPercent: Math.floor(rnd() * 100), resetAt: until(), updatedAt: now },
          weekly: { usedPercent: Math.floor(rnd() * 100), resetAt: now + Math.floor(rnd() * 90) * MIN },
        }
      }),
    () =>
      store.update((d) => {
        d.settings = {
          ...(d.settings ?? {}),
          rotationStrategy: pick(STRATEGIES),
          lowThreshold: pick([10, 30, 50]),
          criticalThreshold: pick([2, 5, 10]),
          preferProAccounts: rnd() < 0.5,
        }
      }),
    () =>
      store.update((d) => {
        d.forcedAlias = rnd() < 0.5 ? pick(aliases) : null
        d.forcedUntil = d.forcedAlias ? now + Math.floor(rnd() * 20) * MIN : null
      }),
    // The clock: small steps, big steps, and exactly onto a due time.
    () => (now += Math.floor(rnd() * 5) * MIN),
    () => (now += Math.floor(rnd() * 40) * MIN),
    () => {
      const a = store.data.accounts[pick(aliases)]
      const t = [a.cooldownUntil, a.rateLimitedUntil, a.rateLimits?.fiveHour?.resetAt].find((x) => x && x > now)
      if (t) now = t
    },
  ]
  const serveOne = (req: SelectRequest) => {
    const got = outcome(() => sel.candidates(store.data, req, now))
    if (typeof got === 'string' || !got[0]) return
    const alias = got[0]
    sel.served(alias, req, now)
    store.touch((d) => {
      const a = d.accounts[alias]
      a.usageCount = (a.usageCount ?? 0) + 1
      a.lastUsed = now
      d.activeAlias = alias
    }, 'counters')
  }
  for (let step = 0; step < steps; step++) {
    pick(ops)()
    for (let k = Math.floor(rnd() * 3); k > 0; k--) serveOne({ model: pick(MODELS) })
    for (const model of MODELS) {
      for (const exclude of [undefined, [pick(aliases)], [pick(aliases), pick(aliases)]]) {
        const req: SelectRequest = { model, exclude }
        const expected = outcome(() => fullScan(store.data, req, now))
        const got = outcome(() => sel.candidates(store.data, req, now))
        expect(got, `seed ${seed} step ${step} ${JSON.stringify(req)}`).toEqual(expected)
        if (typeof expected !== 'string' && !forceState(store.data, now).active) {
          expect(sel.preview(store.data, req, now)).toEqual(expected)
        }
        compared++
      }
    }
  }
  return compared
}

describe('selection index: the same order as a full scan, across random histories', () => {
  it('health, limits, settings and force changes, served calls and clock advances (small pools)', () => {
    let compared = 0
    for (let seed = 1; seed <= 40; seed++) compared += runSequence(seed, 60, 2 + (seed % 7))
    expect(compared).toBeGreaterThan(10_000)
  })

  it('a large pool', () => {
    expect(runSequence(1000, 80, 200)).toBeGreaterThan(500)
  })

  it('reuses the index while nothing changes, and sees an in-place limits change at once', () => {
    const now = Date.UTC(2026, 10, 28, 12)
    const store = revStore({
      version: 2,
      accounts: { a: account(), b: account() },
      activeAlias: null,
      rotationIndex: 0,
      lastRotation: 0,
    })
    const sel = new RotationSelector({ store, random: seeded(1) })
    expect([...sel.candidates(store.data, {}, now)]).toEqual(['a', 'b'])
    // Mutated in place without a revision: the cached order stands (this is what the revision is for).
    ;(store.data.accounts.a).enabled = false
    expect([...sel.candidates(store.data, {}, now)]).toEqual(['a', 'b'])
    store.touch((d) => void ((d.accounts.b).rateLimits = { fiveHour: { usedPercent: 99 } }))
    expect([...sel.candidates(store.data, {}, now)]).toEqual(['b'])
  })
})
