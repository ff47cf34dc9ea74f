import type { Clock, Logger } from '../deps.js'
import type { Kdf } from './crypto.js'
import type { StoreFs } from './fs.js'

export interface StoreOptions {
  /** Absolute path of accounts.json. */
  file: string
  /** When set, everything at rest holding a token is encrypted. */
  passphrase?: string
  logger: Logger
  clock: Clock
  /** Wall time for the lock's staleness checks against file mtimes (default the system clock). */
  wallClock?: Clock
  /** Default true: hold the store lock for the store's life. */
  lock?: boolean
  /** A short-lived holder (`--oneshot`): marked in the pid file so a starting daemon waits for it. */
  oneshot?: boolean
  /** Runs each time the store file itself is durable (the bench times mint → durable with it). */
  onDurable?: () => void
  /** Seams for tests: failure injection and counting key derivations. */
  fs?: StoreFs
  kdf?: Kdf
}
