import type { Account, StoreData } from './schema.js'

/**
 * Copy-on-access drafts for AccountStore.update(): the mutator gets a store whose top level is
 * its own copy and whose accounts map hands out a deep copy of an account the first time it is
 * read, so a change to one account of a thousand copies one. Accounts the mutator never read,
 * or read and left as they were, are the very objects of the current state again in the result:
 * their identity says they did not change, which is what the validation and text caches
 * (store-text.ts) key on. Accounts are real plain objects (a mutator may structuredClone one),
 * only the map is a Proxy, and the result holds no Proxy.
 */
export interface Draft {
  readonly data: StoreData
  /** The state to commit: call once, after the mutator returned. */
  finish(): StoreData
}

type Accounts = StoreData['accounts']

/** Each live draft's map behind its proxy, for peekAccounts(). */
const views = new WeakMap<object, Accounts>()

/**
 * The accounts of `data` to read only, without copying: a scan of a draft (find the account
 * with this identity) would otherwise copy, and afterwards compare, every account it passes.
 * Accounts the mutator already read are its copies; the rest are the current state's objects,
 * which must not be changed. For anything that is not a draft, `data.accounts` itself.
 */
export function peekAccounts(data: StoreData): Readonly<Record<string, Readonly<Account>>> {
  return views.get(data.accounts) ?? data.accounts
}

export function draftOf(current: StoreData): Draft {
  const data = copyTopLevel(current)
  const map: Accounts = Object.assign(Object.create(null) as Accounts, current.accounts)
  const originals = new Map<string, Account>()
  const proxy = new Proxy(map, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof key !== 'string' || originals.has(key)) return value
      const original = current.accounts[key]
      if (value === undefined || value !== original || !Object.hasOwn(current.accounts, key)) return value
      const copy = clonePlain(original)
      originals.set(key, original)
      target[key] = copy
      return copy
    },
  })
  data.accounts = proxy
  views.set(proxy, map)
  return {
    data,
    finish() {
      // A mutator may have replaced the map wholesale: then every account in it is new to us.
      if (data.accounts !== proxy) return data
      for (const [alias, original] of originals) {
        if (Object.hasOwn(map, alias) && samePlain(map[alias], original)) map[alias] = original
      }
      data.accounts = map
      return data
    },
  }
}

/** The top level, deep, without the accounts (the draft's map takes their place). */
function copyTopLevel(current: StoreData): StoreData {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(current)) {
    const value = (current as Record<string, unknown>)[key]
    out[key] = key === 'accounts' ? undefined : clonePlain(value)
  }
  return out as StoreData
}

/** A deep copy of JSON-like data; anything else (a Date a mutator stored) goes to structuredClone. */
export function clonePlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((v: unknown) => clonePlain(v)) as T
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype) {
    // Spread first: V8 copies a plain object's fields in one go, then only nested ones recurse.
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    for (const key in out) {
      const v = out[key]
      if (typeof v === 'object' && v !== null) out[key] = clonePlain(v)
    }
    return out as T
  }
  if (proto !== null) return structuredClone(value)
  const out = Object.create(null) as Record<string, unknown>
  for (const key of Object.keys(value)) out[key] = clonePlain((value as Record<string, unknown>)[key])
  return out as T
}

/**
 * The same own keys with the same values, deep (key order aside): one may stand for the other,
 * as both serialize to the same JSON apart from that order.
 */
export function samePlain(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const proto: unknown = Object.getPrototypeOf(a)
  if (proto !== Object.getPrototypeOf(b)) return false
  if (proto !== Object.prototype && proto !== null && proto !== Array.prototype) return false
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  const keys = Object.keys(ra)
  if (keys.length !== Object.keys(rb).length) return false
  for (const key of keys) {
    const x = ra[key]
    const y = rb[key]
    if (x === y ? y === undefined && !Object.hasOwn(rb, key) : !samePlain(x, y)) return false
  }
  return true
}
