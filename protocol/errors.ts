/**
 * Error codes of the wire contract (docs/protocol.md). Defined once here;
 * daemon and clients both import them so the two sides cannot drift.
 */
export const ErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  ACCOUNT_NOT_FOUND: -32001,
  NO_ELIGIBLE_ACCOUNTS: -32002,
  AUTH_INVALID: -32003,
  STORE_UNAVAILABLE: -32004,
  LOGIN_FAILED: -32005,
  LIMITS_UNAVAILABLE: -32006,
  CONFLICT: -32007,
  RATE_LIMITED: -32008,
} as const

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]))

export function errorCodeName(code: number): string {
  return NAMES.get(code) ?? `ERROR_${code}`
}

/**
 * An error that is meant to reach a client: its message and data must never
 * hold a secret. Anything thrown that is not an RpcError is reported to the
 * client as a generic INTERNAL_ERROR.
 */
export class RpcError extends Error {
  readonly code: number
  readonly data: unknown

  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    this.data = data
  }
}

export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError
}
