import { RotationSelector } from '../../daemon/rotation/selector.js'
import type { Account, StoreData } from '../../daemon/store/schema.js'
import type { SelectRequest } from '../../daemon/tokens/selection.js'
import type { FakeClock } from '../helpers/clock.js'
import { mintTokens, type Identity } from '../fakes/jwt.js'
import { identity } from '../helpers/accounts.js'

/** A small deterministic PRNG (mulberry32), so `random` runs are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Returns the given values in turn (then repeats them): orders derivable by hand. */
export function scripted(values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length]
}

export function account(over: Partial<Account> = {}): Account {
  return {
    accessToken: 'a',
    refreshToken: 'r',
    expiresAt: Number.MAX_SAFE_INTEGER,
    usageCount: 0,
    enabled: true,
    ...over,
  }
}

/** The bits of AccountStore the selector uses, in memory. */
export function memStore(accounts: Record<string, Account>, over: Partial<StoreData> = {}) {
  const data: StoreData = { version: 2, accounts, activeAlias: null, rotationIndex: 0, lastRotation: 0, ...over }
  return { data, touch: (fn: (d: StoreData) => void) => fn(data) }
}

export type MemStore = ReturnType<typeof memStore>

export function selectorFor(store: MemStore, random: () => number = seeded(1)): RotationSelector {
  return new RotationSelector({ store, random })
}

/**
 * One token.get as the engine does it: the first candidate serves, the
 * strategy is told, usage is counted; then the clock moves a second so
 * lastUsed differs between calls.
 */
export function serve(sel: RotationSelector, store: MemStore, clock: FakeClock, req: SelectRequest = {}): string {
  const [alias] = sel.candidates(store.data, req, clock.now())
  if (!alias) return '-'
  sel.served(alias, req, clock.now())
  const a = store.data.accounts[alias]
  a.usageCount = (a.usageCount ?? 0) + 1
  a.lastUsed = clock.now()
  store.data.activeAlias = alias
  clock.set(clock.now() + 1000)
  return alias
}

export function serveMany(
  n: number,
  sel: RotationSelector,
  store: MemStore,
  clock: FakeClock,
  req: SelectRequest = {},
): string[] {
  return Array.from({ length: n }, () => serve(sel, store, clock, req))
}

/** Usage windows as the headers would have left them: `left` percent remaining. */
export function withLeft(left: number, now: number): Partial<Account> {
  return {
    rateLimits: { fiveHour: { usedPercent: 100 - left, windowMinutes: 300, resetAt: now + 3_600_000, updatedAt: now } },
  }
}

/** Tokens valid for 10 days from the fake clock's now (the daemon compares expiry to its clock). */
export function tokensAt(clock: { now(): number }, n: number, over: Partial<Identity> = {}) {
  const t = mintTokens(identity(n, over), { iat: Math.floor(clock.now() / 1000) })
  return { accessToken: t.accessToken, idToken: t.idToken, refreshToken: `rt-${n}` }
}
