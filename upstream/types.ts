/**
 * What the ChatGPT backend client needs from whoever uses it: a fetch, and a source of
 * tokens that also takes the report of each answer. The OpenCode plugin's source is the
 * daemon over its socket; the daemon's gateway uses its own engine and intake in-process.
 */
import type { ParamsOf, ReportResult, TokenResult } from '../protocol/methods.js'
import type { StreamTap } from './response.js'

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

/** A request's headers as the caller has them: web Headers, or a plain object with lower-case names (Node's). */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

/** What the loop reads of an answer's headers: web Headers have it, so can a plain record. */
export interface HeaderReader {
  get(name: string): string | null
  forEach(fn: (value: string, name: string) => void): void
}

/** One request to the backend, as the loop decides on it: status and headers first, the body on demand. */
export interface Attempt<T> {
  status: number
  statusText: string
  headers: HeaderReader
  /** False for an answer that has no body at all (the success is reported at once). */
  hasBody: boolean
  /** The body as text, bounded (a failure's, for the report and the replay). */
  text(): Promise<string>
  /**
   * The success as the caller gets it: the stream as it arrives (`stream`), or the completed
   * response as JSON; `tap` sees the body pass, and silence for `idleMs` ends it.
   */
  deliver(opts: { stream: boolean; idleMs: number; tap: StreamTap | undefined }): T | Promise<T>
}

export interface SendRequest {
  url: string
  /** Lower-case names. */
  headers: Record<string, string>
  body: string | Uint8Array
  signal?: AbortSignal
  headersTimeoutMs: number
}

/**
 * How the loop reaches the backend. The plugin's is fetch (send.ts: web Response in, web
 * Response out); the daemon's gateway has its own that pipes Node streams, so the decisions
 * stay in the one loop while the bytes take the cheapest way.
 */
export interface Transport<T> {
  /** Rejects with the caller's abort reason, or UpstreamTimeoutError (send.ts) on the headers deadline. */
  send(req: SendRequest): Promise<Attempt<T>>
}
