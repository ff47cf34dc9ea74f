import type { StoreData } from './schema.js'

/**
 * Aliases come from outside: the in-memory accounts map has no prototype, so
 * `toString` or `constructor` is just a name that no account has.
 */
export function ownAccounts(data: StoreData): StoreData {
  data.accounts = Object.assign(Object.create(null) as StoreData['accounts'], data.accounts)
  return data
}

/** A deep copy whose accounts map has no prototype (structuredClone gives it Object's back). */
export function copyOf(data: StoreData): StoreData {
  return ownAccounts(structuredClone(data))
}
