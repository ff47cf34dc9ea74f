import type { Account, StoreData } from './schema.js'

type Accounts = StoreData['accounts']

/**
 * The store as an in-place mutator (a touch, or its replay after a write) sees it: the state
 * itself, but every account read through `accounts` is reported first, so the caches that
 * assume an unchanged object (store-text.ts) forget it before it can change. Reading counts as
 * changing: the view cannot see what is done with the object afterwards.
 */
export function trackedView(data: StoreData, onRead: (alias: string, account: Account) => void): StoreData {
  let map: Accounts | undefined
  let mapView: Accounts | undefined
  return new Proxy(data, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (key !== 'accounts' || typeof value !== 'object' || value === null) return value
      if (value !== map || !mapView) {
        map = value as Accounts
        mapView = new Proxy(map, {
          get(accounts, alias, r) {
            const account: unknown = Reflect.get(accounts, alias, r)
            if (typeof alias === 'string' && typeof account === 'object' && account !== null) {
              onRead(alias, account as Account)
            }
            return account
          },
        })
      }
      return mapView
    },
  })
}
