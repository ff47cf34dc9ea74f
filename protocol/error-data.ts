import * as z from 'zod'
import { ErrorCode } from './errors.js'
import { alias, HEALTH_STATES } from './schemas.js'

/**
 * The `data` of each error code, as zod schemas: the daemon builds data of these
 * types and clients parse it with these schemas, so the two sides cannot drift.
 * Objects are not strict: a later daemon may add fields without breaking a client.
 */

export const fieldError = z.object({ path: z.string(), message: z.string() })
export type FieldError = z.infer<typeof fieldError>

/** -32602: which params are wrong and why. */
export const invalidParamsData = z.object({ fields: z.array(fieldError) })
export type InvalidParamsData = z.infer<typeof invalidParamsData>

/** The alias an error is about (ACCOUNT_NOT_FOUND, AUTH_INVALID, LIMITS_UNAVAILABLE, ...). */
export const aliasData = z.object({ alias: z.string() })
export type AliasData = z.infer<typeof aliasData>

/** One account as the selection saw it, and why it could not serve. */
export const eligibility = z.object({
  alias: z.string(),
  health: z.enum(HEALTH_STATES),
  reason: z.string().optional(),
  /** Epoch ms when this account frees up by itself, if it does. */
  until: z.number().optional(),
})
export type Eligibility = z.infer<typeof eligibility>

/** -32002: every account and why, and the earliest time one that could help frees up. */
export const noEligibleData = z.object({
  accounts: z.array(eligibility),
  earliestUntil: z.number().optional(),
  /** The model asked for, when it narrowed the choice (e.g. a Pro-only model). */
  model: z.string().optional(),
})
export type NoEligibleData = z.infer<typeof noEligibleData>

/** -32008: the pinned account cannot serve; until when (null: not by itself). */
export const rateLimitedData = z.object({
  alias,
  health: z.enum(HEALTH_STATES),
  reason: z.string(),
  until: z.number().nullable(),
})
export type RateLimitedData = z.infer<typeof rateLimitedData>

/** -32007: the alias in the way, and a machine-readable reason where there is one. */
export const conflictData = z.object({ alias: z.string().optional(), reason: z.string().optional() })
export type ConflictData = z.infer<typeof conflictData>

/** -32003: the account that must sign in again; `code` is the token endpoint's error code. */
export const authInvalidData = z.object({ alias: z.string(), code: z.string().optional() })
export type AuthInvalidData = z.infer<typeof authInvalidData>

/** -32005: the sign-in it is about, when one was started. */
export const loginFailedData = z.object({ loginId: z.string() })
export type LoginFailedData = z.infer<typeof loginFailedData>

/** -32006: the alias that cannot be probed (absent when nothing at all can be). */
export const limitsUnavailableData = z.object({ alias: z.string().optional() })
export type LimitsUnavailableData = z.infer<typeof limitsUnavailableData>

/** An error with no data at all. */
export const noData = z.undefined()

/**
 * Per error name: its code, its data schema and a line for docs/protocol.md.
 * Data is optional on the wire for every code (a client must cope without it).
 */
export const errorTable = {
  PARSE_ERROR: {
    code: ErrorCode.PARSE_ERROR,
    data: noData,
    when: 'the line is not JSON (the connection stays usable)',
  },
  INVALID_REQUEST: { code: ErrorCode.INVALID_REQUEST, data: noData, when: 'JSON but not a request' },
  METHOD_NOT_FOUND: {
    code: ErrorCode.METHOD_NOT_FOUND,
    data: noData,
    when: 'unknown method (or not served on this transport)',
  },
  INVALID_PARAMS: {
    code: ErrorCode.INVALID_PARAMS,
    data: invalidParamsData,
    when: 'params fail the schema; `data.fields` = `[{path, message}]`',
  },
  INTERNAL_ERROR: {
    code: ErrorCode.INTERNAL_ERROR,
    data: noData,
    when: 'a bug; the message is always the generic "Internal error"',
  },
  ACCOUNT_NOT_FOUND: { code: ErrorCode.ACCOUNT_NOT_FOUND, data: aliasData, when: 'unknown alias; `data.alias`' },
  NO_ELIGIBLE_ACCOUNTS: {
    code: ErrorCode.NO_ELIGIBLE_ACCOUNTS,
    data: noEligibleData,
    when: '`data.accounts` = each alias with health, reason, until; `data.earliestUntil`; `data.model` when it narrowed the choice',
  },
  AUTH_INVALID: {
    code: ErrorCode.AUTH_INVALID,
    data: authInvalidData,
    when: 'the account needs a new sign-in; `data.alias`',
  },
  STORE_UNAVAILABLE: {
    code: ErrorCode.STORE_UNAVAILABLE,
    data: noData,
    when: 'store locked, corrupt, passphrase missing, or a write failed',
  },
  LOGIN_FAILED: {
    code: ErrorCode.LOGIN_FAILED,
    data: loginFailedData,
    when: 'sign-in failed, timed out or was cancelled; `data.loginId` when one was started',
  },
  LIMITS_UNAVAILABLE: {
    code: ErrorCode.LIMITS_UNAVAILABLE,
    data: limitsUnavailableData,
    when: 'nothing to probe: the account is disabled, must sign in again or has no account id (`data.alias`); or `limits.refresh {}` found no probeable account',
  },
  CONFLICT: {
    code: ErrorCode.CONFLICT,
    data: conflictData,
    when: 'e.g. disabling the last enabled account, an alias taken by another identity; `data.alias`, `data.reason`',
  },
  RATE_LIMITED: {
    code: ErrorCode.RATE_LIMITED,
    data: rateLimitedData,
    when: 'the forced account is not usable; `data` has alias, health, reason, until',
  },
} as const satisfies Record<keyof typeof ErrorCode, { code: number; data: z.ZodType; when: string }>

export type ErrorName = keyof typeof errorTable
export type ErrorDataOf<N extends ErrorName> = z.infer<(typeof errorTable)[N]['data']>

/** The data of an error with this code, parsed; undefined when absent or not of the contract's shape. */
export function parseErrorData<N extends ErrorName>(
  name: N,
  err: { code: number; data?: unknown },
): ErrorDataOf<N> | undefined {
  const entry = errorTable[name]
  if (err.code !== entry.code) return undefined
  const parsed = (entry.data as z.ZodType).safeParse(err.data)
  return parsed.success ? (parsed.data as ErrorDataOf<N>) : undefined
}

/** A zod failure as INVALID_PARAMS field errors: one per problem, an unknown key named as its own path. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((i) => {
    const base = i.path.map(String).join('.')
    if (i.code === 'unrecognized_keys')
      return i.keys.map((k) => ({ path: base ? `${base}.${k}` : k, message: i.message }))
    return [{ path: base || '(params)', message: i.message }]
  })
}
