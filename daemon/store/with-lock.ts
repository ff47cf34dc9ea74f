import type { StoreOptions } from './options.js'
import { AccountStore } from './store.js'

/** For the CLI when no daemon runs: change the store only under the daemon's lock. */
export async function withStoreLock<T>(opts: StoreOptions, fn: (store: AccountStore) => Promise<T>): Promise<T> {
  const store = await AccountStore.open({ ...opts, lock: true })
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}
