import type { AliasData } from '../../protocol/error-data.js'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { Account, StoreData } from './schema.js'

/** ACCOUNT_NOT_FOUND for an alias the store does not hold. */
export function notFound(alias: string): RpcError {
  const data: AliasData = { alias }
  return new RpcError(ErrorCode.ACCOUNT_NOT_FOUND, `no account with alias ${alias}`, data)
}

/** The account under `alias` (an outside string: never read through the prototype), or ACCOUNT_NOT_FOUND. */
export function requireAccount(data: Readonly<StoreData>, alias: string): Account {
  const acc = Object.hasOwn(data.accounts, alias) ? data.accounts[alias] : undefined
  if (!acc) throw notFound(alias)
  return acc
}
