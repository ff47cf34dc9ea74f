import { describe, expect, it } from 'vitest'
import type { Strategy } from '../../protocol/schemas.js'
import { FakeClock } from '../helpers/clock.js'
import { sticky } from '../../daemon/rotation/strategies.js'
import { buildIndex } from '../../daemon/rotation/selection-index.js'
import { account, memStore, scripted, seeded, selectorFor, serve, serveMany } from './support.js'

const MIN = 60_000

function setup(strategy: Strategy, aliases = ['a', 'b', 'c'], random?: () => number) {
  const clock = new FakeClock()
  const store = memStore(Object.fromEntries(aliases.map((a) => [a, account()])), {
    settings: { rotationStrategy: strategy },
  })
  const sel = selectorFor(store, random)
  const limit = (alias: string, ms: number) => {
    store.data.accounts[alias].rateLimitedUntil = clock.now() + ms
  }
  return { clock, store, sel, limit }
}

describe('strategies: the order served over a sequence of calls while health changes', () => {
  it('round-robin: a stable cycle; an account that drops out comes back in its own place', () => {
    const { clock, store, sel, limit } = setup('round-robin')
    const seq = serveMany(4, sel, store, clock)
    limit('b', 10 * MIN)
    seq.push(...serveMany(3, sel, store, clock))
    clock.set(clock.now() + 10 * MIN)
    seq.push(...serveMany(3, sel, store, clock))
    expect(seq).toEqual(['a', 'b', 'c', 'a', 'c', 'a', 'c', 'a', 'b', 'c'])
    // The turn is persisted in the store's rotationIndex (next: a, index 0).
    expect(store.data.rotationIndex).toBe(0)
  })

  it('round-robin: every candidate list holds all servable accounts, so a failure falls through', () => {
    const { clock, store, sel, limit } = setup('round-robin')
    limit('c', MIN)
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['a', 'b'])
    expect([...sel.candidates(store.data, { exclude: ['a'] }, clock.now())]).toEqual(['b'])
  })

  it('least-used: fewest uses first, ties to the one used longest ago', () => {
    const { clock, store, sel, limit } = setup('least-used')
    store.data.accounts.a.usageCount = 2
    const seq = serveMany(6, sel, store, clock) // b c b c, then all at 2: a (never used), b
    store.data.accounts.c.cooldownUntil = clock.now() + MIN // c would be next (2 uses, the oldest)
    seq.push(...serveMany(2, sel, store, clock))
    clock.set(clock.now() + MIN)
    limit('a', MIN)
    seq.push(...serveMany(2, sel, store, clock))
    expect(seq).toEqual(['b', 'c', 'b', 'c', 'a', 'b', 'a', 'b', 'c', 'c'])
  })

  it('random: the injected random decides (Fisher–Yates), and health still filters', () => {
    // [a,b,c]: i=2 j=floor(0*3)=0 → [c,b,a]; i=1 j=floor(0*2)=0 → [b,c,a]
    const { clock, store, sel, limit } = setup('random', ['a', 'b', 'c'], scripted([0, 0, 0.99, 0.99]))
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['b', 'c', 'a'])
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['a', 'b', 'c'])
    limit('b', MIN)
    // [a,c]: i=1 j=0 → [c,a]
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['c', 'a'])
  })

  it('random: the same seed gives the same sequence; every healthy account gets used', () => {
    const run = () => {
      const { clock, store, sel, limit } = setup('random', ['a', 'b', 'c', 'd'], seeded(42))
      const seq = serveMany(20, sel, store, clock)
      limit('d', 10 * MIN)
      seq.push(...serveMany(20, sel, store, clock))
      return seq
    }
    const first = run()
    expect(run()).toEqual(first)
    expect(new Set(first.slice(0, 20))).toEqual(new Set(['a', 'b', 'c', 'd']))
    expect(first.slice(20)).not.toContain('d')
    expect(first.slice(0, 20)).not.toEqual([
      'a',
      'b',
      'c',
      'd',
      'a',
      'b',
      'c',
      'd',
      'a',
      'b',
      'c',
      'd',
      'a',
      'b',
      'c',
      'd',
      'a',
      'b',
      'c',
      'd',
    ])
  })

  it('weighted-round-robin: serves in proportion to the weights, smoothly; the pick comes first, then the rest by weight', () => {
    const { clock, store, sel, limit } = setup('weighted-round-robin')
    store.data.settings = { rotationStrategy: 'weighted-round-robin', accountWeights: { a: 0.6, b: 0.2, c: 0.2 } }
    const seq = serveMany(10, sel, store, clock)
    expect(seq).toEqual(['a', 'b', 'a', 'c', 'a', 'a', 'b', 'a', 'c', 'a'])
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['a', 'b', 'c'])
    limit('a', 10 * MIN)
    const without = serveMany(4, sel, store, clock)
    expect(without).toEqual(['b', 'c', 'b', 'c'])
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['b', 'c'])
  })

  it('weighted-round-robin: without settings weights, account weights, else equal shares', () => {
    const { clock, store, sel } = setup('weighted-round-robin')
    store.data.accounts.c.weight = 1
    // a and b get 1/3 each: c earns three times as fast.
    expect(serveMany(5, sel, store, clock)).toEqual(['c', 'a', 'c', 'b', 'c'])
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['c', 'a', 'b'])
  })

  it('sticky: the same account per session while it stays healthy, then it moves and stays moved', () => {
    const { clock, store, sel, limit } = setup('sticky')
    const s = (k: string) => serve(sel, store, clock, { sessionKey: k })
    expect([s('s1'), s('s2'), s('s1'), s('s3'), s('s2'), s('s1')]).toEqual(['a', 'b', 'a', 'c', 'b', 'a'])
    limit('a', 10 * MIN)
    expect(s('s1')).toBe('b') // a is out: s1 takes the round-robin turn after c, a is skipped
    clock.set(clock.now() + 10 * MIN)
    expect([s('s1'), s('s1'), s('s3')]).toEqual(['b', 'b', 'c'])
    expect(s('s4')).toBe('c') // new session: next round-robin turn (after b: c)
    expect(serve(sel, store, clock)).toBe('a') // no session: plain round-robin
  })

  it('sticky: the session map is bounded; the least recently used session is forgotten first', () => {
    const { clock, store } = setup('sticky')
    const strategy = sticky({ touch: store.touch, random: seeded(1) }, 2)
    const ctx = (sessionKey: string) => ({
      data: store.data,
      eligible: ['a', 'b', 'c'],
      req: { sessionKey },
      settings: {} as never,
      now: clock.now(),
      index: buildIndex(store.data, 0, {} as never, undefined, clock.now()),
    })
    strategy.served?.('c', ctx('s1'))
    strategy.served?.('c', ctx('s2'))
    strategy.served?.('c', ctx('s1')) // s1 used again: s2 is now the oldest
    strategy.served?.('c', ctx('s3'))
    expect(strategy.order(ctx('s1'))[0]).toBe('c')
    expect(strategy.order(ctx('s3'))[0]).toBe('c')
    expect(strategy.order(ctx('s2'))[0]).not.toBe('c') // forgotten: plain round-robin turn
  })

  it('use-up: one account until it cannot serve, then the next, in store order', () => {
    const { clock, store, sel, limit } = setup('use-up')
    const seq = serveMany(3, sel, store, clock)
    limit('a', 10 * MIN)
    seq.push(...serveMany(2, sel, store, clock))
    limit('b', 20 * MIN)
    seq.push(...serveMany(2, sel, store, clock))
    clock.set(clock.now() + 10 * MIN)
    seq.push(...serveMany(2, sel, store, clock))
    expect(seq).toEqual(['a', 'a', 'a', 'b', 'b', 'c', 'c', 'a', 'a'])
    expect([...sel.candidates(store.data, {}, clock.now())]).toEqual(['a', 'c'])
  })
})
