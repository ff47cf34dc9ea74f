import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { Logger } from '../deps.js'

/**
 * Errors the store throws: at open, each message is meant for a human at a terminal
 * (the daemon prints it and exits); none ever holds a secret.
 */

/** Another process holds the store lock: a second daemon must not start. */
export class StoreLockedError extends Error {
  readonly pid?: number

  constructor(path: string, pid?: number) {
    const who = pid === undefined ? '' : ` (pid ${pid})`
    super(`another opencode-multi-auth daemon${who} holds the store ${path}`)
    this.name = 'StoreLockedError'
    this.pid = pid
  }
}

/** The store is encrypted and we cannot read it; nothing on disk was touched. */
export class StoreEncryptedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StoreEncryptedError'
  }

  static missingPassphrase(path: string): StoreEncryptedError {
    return new StoreEncryptedError(
      `the store ${path} is encrypted: set OPENCODE_MULTI_AUTH_PASSPHRASE or use --passphrase-file`,
    )
  }

  static wrongPassphrase(path: string): StoreEncryptedError {
    return new StoreEncryptedError(
      `cannot decrypt the store ${path} (nor its .lkg/.bak copies): wrong passphrase, or the files are damaged; nothing was changed`,
    )
  }
}

/**
 * The file was written by a newer version of us. Refusing to open is the only
 * safe choice: recovering would move a good file aside, and rewriting it as v2
 * could drop what the newer version relies on.
 */
export class StoreVersionError extends Error {
  readonly version: number

  constructor(path: string, version: number) {
    super(
      `the store ${path} has format version ${version}, newer than this opencode-multi-auth understands (2); upgrade`,
    )
    this.name = 'StoreVersionError'
    this.version = version
  }
}

/**
 * The one place a failed write becomes STORE_UNAVAILABLE: the cause (a path
 * and an errno, never a token) goes to the log, the caller gets the code.
 */
export function storeUnavailable(logger: Logger, path: string, err: unknown): RpcError {
  logger.error('could not write the account store', {
    path,
    error: err instanceof Error ? err.message : String(err),
  })
  return new RpcError(
    ErrorCode.STORE_UNAVAILABLE,
    'the account store could not be written (disk full or read-only?); see the daemon log',
  )
}
