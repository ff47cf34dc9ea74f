/**
 * What the ChatGPT backend client needs from whoever uses it: a fetch, and a source of
 * tokens that also takes the report of each answer. The OpenCode plugin's source is the
 * daemon over its socket; the daemon's gateway uses its own engine and intake in-process.
 */
import type { ParamsOf, ReportResult, TokenResult } from '../protocol/methods.js'

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export type TokenRequest = ParamsOf<'token.get'>
export type ReportParams = ParamsOf<'token.report'>

export interface TokenSource {
  /** A token for the next attempt; throws an RpcError (NO_ELIGIBLE_ACCOUNTS, RATE_LIMITED, ...) when none. */
  get(req: TokenRequest): Promise<TokenResult>
  /** What the backend answered; undefined when the report could not be delivered. */
  report(params: ReportParams): Promise<ReportResult | undefined>
}

/** The token source cannot be reached at all (the daemon is not running and could not be started). */
export class TokenSourceUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TokenSourceUnavailableError'
  }
}
