/**
 * StoreText assembles the file from per-account pieces it keeps between writes: the bytes must
 * be exactly what `JSON.stringify(data, null, 2)` gives (the old plugin's format), and its
 * verdict exactly the whole-store schema's, for any store, however odd its keys and values.
 */
import { describe, expect, it } from 'vitest'
import { accountSchema, storeSchema, type StoreData } from '../../daemon/store/schema.js'
import { StoreText } from '../../daemon/store/store-text.js'
import { seeded } from '../rotation/support.js'
import { account } from './helpers.js'

const ODD_KEYS = ['', '0', '12', '__proto__', 'constructor', 'a"b', 'line\nbreak', 'ünï', '😀', 'tab\t', 'x'.repeat(40)]

function pick<T>(rnd: () => number, of: readonly T[]): T {
  const v = of[Math.floor(rnd() * of.length)]
  if (v === undefined) throw new Error('empty choice')
  return v
}

function value(rnd: () => number, depth: number): unknown {
  const kind = Math.floor(rnd() * (depth > 2 ? 6 : 9))
  if (kind === 0) return Math.floor(rnd() * 1e6) - 5e5
  if (kind === 1) return rnd() * 10
  if (kind === 2) return pick(rnd, ODD_KEYS)
  if (kind === 3) return rnd() < 0.5
  if (kind === 4) return null
  if (kind === 5) return undefined
  if (kind === 6) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(rnd, depth + 1))
  const o: Record<string, unknown> = {}
  for (let i = Math.floor(rnd() * 4); i > 0; i--) o[pick(rnd, ODD_KEYS)] = value(rnd, depth + 1)
  return o
}

/** A store with odd aliases, loose fields at both levels, and now and then an invalid value. */
function randomStore(rnd: () => number, broken: boolean): StoreData {
  const data: Record<string, unknown> = {}
  const accounts = Object.create(null) as Record<string, unknown>
  const top = ['version', 'accounts', 'activeAlias', 'rotationIndex', 'lastRotation', 'settings', 'extra', '1']
  for (const key of top.sort(() => rnd() - 0.5)) {
    if (key === 'version') data.version = 2
    else if (key === 'accounts') data.accounts = accounts
    else if (rnd() < 0.7) data[key] = key === 'settings' ? { a: value(rnd, 1) } : key === 'extra' ? value(rnd, 0) : 0
  }
  data.activeAlias = rnd() < 0.5 ? null : 'x'
  for (let i = Math.floor(rnd() * 6); i > 0; i--) {
    const a: Record<string, unknown> = { ...account(i, { alias: pick(rnd, ODD_KEYS) }) }
    for (let j = Math.floor(rnd() * 3); j > 0; j--) a[`loose${j}`] = value(rnd, 1)
    if (rnd() < 0.3) a.rateLimits = { fiveHour: { remaining: 3, resetAt: 1 }, weekly: {} }
    if (rnd() < 0.3) a.idToken = undefined
    if (broken && rnd() < 0.3) a[pick(rnd, ['accessToken', 'expiresAt', 'tags'])] = pick(rnd, ['', 'x', 1, [1]])
    accounts[pick(rnd, [...ODD_KEYS, `acc${i}`])] = a
  }
  if (broken && rnd() < 0.2) data.rotationIndex = 'zero'
  if (broken && rnd() < 0.1) data.accounts = pick(rnd, [null, [], 'accounts', 3])
  return data as StoreData
}

const joined = (bytes: readonly Buffer[]) => Buffer.concat(bytes).toString('utf8')

/** The whole-store verdict; zod's record skips a `__proto__` key, which StoreText checks too. */
function validStore(data: StoreData): boolean {
  const accounts: unknown = data.accounts
  const proto =
    typeof accounts === 'object' && accounts !== null && Object.hasOwn(accounts, '__proto__')
      ? (accounts as Record<string, unknown>)['__proto__']
      : undefined
  return storeSchema.safeParse(data).success && (proto === undefined || accountSchema.safeParse(proto).success)
}

function oneAccountStore(): StoreData {
  return { version: 2, accounts: { acc1: account(1) }, activeAlias: null, rotationIndex: 0, lastRotation: 0 }
}

describe('StoreText', () => {
  it('writes what JSON.stringify(data, null, 2) writes and judges as the whole-store schema does (500 stores)', () => {
    const text = new StoreText()
    const verdicts = { valid: 0, invalid: 0 }
    for (let seed = 1; seed <= 500; seed++) {
      const rnd = seeded(seed)
      const data = randomStore(rnd, seed % 3 === 0)
      // Twice: the second answer comes from what the first one kept.
      for (const round of [1, 2]) {
        const prepared = text.prepare(data)
        const valid = validStore(data)
        expect(prepared.ok, `seed ${seed} round ${round}`).toBe(valid)
        if (prepared.ok) expect(joined(prepared.bytes), `seed ${seed}`).toBe(`${JSON.stringify(data, null, 2)}\n`)
        if (valid) {
          // A loaded store is primed without a second check; its write is the same text.
          const primed = new StoreText()
          primed.prime(data)
          const again = primed.prepare(data)
          expect(again.ok && joined(again.bytes), `seed ${seed} primed`).toBe(`${JSON.stringify(data, null, 2)}\n`)
        }
        verdicts[valid ? 'valid' : 'invalid']++
      }
    }
    // Both sides were exercised, not one.
    expect(verdicts.valid).toBeGreaterThan(300)
    expect(verdicts.invalid).toBeGreaterThan(50)
  })

  it('an account changed in place is written anew once forgotten, and only then', () => {
    const text = new StoreText()
    const data = oneAccountStore()
    const acc = data.accounts.acc1
    if (!acc) throw new Error('no account')
    text.prepare(data)
    acc.usageCount = 7
    const stale = text.prepare(data)
    // The contract: without forget() the kept piece stands (which is why touch() must call it).
    expect(stale.ok && joined(stale.bytes)).toContain('"usageCount": 0')
    text.forget(acc)
    const fresh = text.prepare(data)
    expect(fresh.ok && joined(fresh.bytes)).toBe(`${JSON.stringify(data, null, 2)}\n`)
  })

  it('prime() takes a loaded state as checked: the first write does not check it again', () => {
    const text = new StoreText()
    const data = oneAccountStore()
    text.prime(data)
    const acc = data.accounts.acc1
    if (!acc) throw new Error('no account')
    // Broken behind its back (which touch() never does without forget()): not checked again…
    acc.accessToken = ''
    expect(text.prepare(data).ok).toBe(true)
    // …until forgotten.
    text.forget(acc)
    expect(text.prepare(data)).toEqual({ ok: false, invalid: 'accounts.acc1.accessToken: too_small' })
  })

  it('says where an invalid account is, by path and code only', () => {
    const text = new StoreText()
    const data = {
      version: 2,
      accounts: { good: account(1), bad: { ...account(2), accessToken: '' } },
      activeAlias: null,
      rotationIndex: 0,
      lastRotation: 0,
    } as StoreData
    const prepared = text.prepare(data)
    expect(prepared).toEqual({ ok: false, invalid: 'accounts.bad.accessToken: too_small' })
  })
})
