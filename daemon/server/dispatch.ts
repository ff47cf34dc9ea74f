import {
  JSONRPCServer,
  createJSONRPCErrorResponse,
  isJSONRPCID,
  type JSONRPCRequest,
  type JSONRPCResponse,
} from 'json-rpc-2.0'
import type * as z from 'zod'
import { fieldErrors, type InvalidParamsData } from '../../protocol/error-data.js'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import { methods, type MethodName, type ParsedParamsOf, type ResultOf, type Transport } from '../../protocol/methods.js'
import type { Logger } from '../deps.js'

/** What a handler knows about the caller. */
export interface CallContext {
  /** Sends a notification to this caller's connection only. */
  notify(method: string, params: unknown): void
  /** Runs when the caller's connection closes. */
  onClose(fn: () => void): void
  /**
   * Makes `off` this connection's one event subscription: a previous one is
   * ended first, and `off` runs when the connection closes.
   */
  setSubscription(off: () => void): void
}

export type Handler<M extends MethodName> = (
  params: ParsedParamsOf<M>,
  ctx: CallContext,
) => ResultOf<M> | Promise<ResultOf<M>>

/** A handler for every method of the table: a method without one does not compile. */
export type Handlers = { [M in MethodName]: Handler<M> }
/** Handlers for some methods (a component's group, or the one-shot subset). */
export type HandlersFor<K extends MethodName> = { [M in K]: Handler<M> }

/**
 * Builds the JSON-RPC engine from the method table: params are validated by
 * the table's zod schema before a handler runs, and anything thrown that is
 * not an RpcError leaves as a generic -32603 so no internal message (which
 * could hold a secret) reaches a client.
 */
export function createDispatcher<K extends MethodName>(
  handlers: HandlersFor<K>,
  logger: Logger,
  opts: { transport?: Transport } = {},
): JSONRPCServer<CallContext> {
  const transport = opts.transport ?? 'socket'
  const server = new JSONRPCServer<CallContext>({
    errorListener: () => {
      // Errors are logged once, in mapErrorToJSONRPCErrorResponse.
    },
  })
  server.mapErrorToJSONRPCErrorResponse = (id, error: unknown) => {
    if (error instanceof RpcError) return createJSONRPCErrorResponse(id, error.code, error.message, error.data)
    logger.error('internal error in a method handler', { error: error instanceof Error ? error.stack : String(error) })
    return createJSONRPCErrorResponse(id, ErrorCode.INTERNAL_ERROR, 'Internal error')
  }
  for (const name of Object.keys(handlers) as K[]) {
    const handler = handlers[name] as Handler<MethodName> | undefined
    // A method not served on this transport is unknown there (METHOD_NOT_FOUND).
    if (!handler || !methods[name].transports.includes(transport)) continue
    const schema = methods[name].params as z.ZodType
    server.addMethod(name, async (raw: unknown, ctx: CallContext) => {
      const parsed = schema.safeParse(raw ?? {})
      if (!parsed.success) {
        const data: InvalidParamsData = { fields: fieldErrors(parsed.error) }
        throw new RpcError(ErrorCode.INVALID_PARAMS, invalidMessage(name, data), data)
      }
      return handler(parsed.data as ParsedParamsOf<MethodName>, ctx)
    })
  }
  return server
}

/** settings.update keeps its own wording; every other method says which params are wrong. */
function invalidMessage(name: MethodName, data: InvalidParamsData): string {
  const paths = data.fields.map((f) => f.path).join(', ')
  return name === 'settings.update' ? `invalid settings: ${paths}` : 'Invalid params'
}

export function parseErrorResponse(): JSONRPCResponse {
  return createJSONRPCErrorResponse(null, ErrorCode.PARSE_ERROR, 'Parse error')
}

function invalidRequest(): JSONRPCResponse {
  return createJSONRPCErrorResponse(null, ErrorCode.INVALID_REQUEST, 'Invalid Request')
}

/** Which methods a transport may call (the dashboard's HTTP surface serves fewer than the socket). */
export type MethodFilter = (method: string) => boolean

/** One element: anything but an object with a string method and a valid id is -32600. */
async function receiveOne(
  server: JSONRPCServer<CallContext>,
  payload: unknown,
  ctx: CallContext,
  allow?: MethodFilter,
): Promise<JSONRPCResponse | null> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return invalidRequest()
  const msg = payload as { id?: unknown; method?: unknown }
  if (typeof msg.method !== 'string' || (msg.id !== undefined && !isJSONRPCID(msg.id))) return invalidRequest()
  if (allow && !allow(msg.method)) {
    // Exactly what an unknown method gets, so a transport cannot tell the two apart.
    if (msg.id === undefined) return null
    return createJSONRPCErrorResponse(msg.id, ErrorCode.METHOD_NOT_FOUND, 'Method not found')
  }
  return await server.receive(payload as JSONRPCRequest, ctx)
}

export interface LineOptions {
  /** Entries a batch may hold; a longer batch is refused whole with -32600. */
  maxBatch?: number
  /** Runs each call (batch entries one by one), e.g. through a per-connection limit. */
  run?: <T>(call: () => Promise<T>) => Promise<T>
  /** Methods this transport may call; anything else answers METHOD_NOT_FOUND. */
  allow?: MethodFilter
}

const direct = <T>(call: () => Promise<T>): Promise<T> => call()

/**
 * One NDJSON line in, the answer out (null for notifications). The library's
 * receiveJSON answers `null` with a parse error, echoes ids that are not ids
 * and throws on a batch holding `null`; this checks the envelope first.
 */
export async function receiveLine(
  server: JSONRPCServer<CallContext>,
  line: string,
  ctx: CallContext,
  opts: LineOptions = {},
): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
  const run = opts.run ?? direct
  let payload: unknown
  try {
    payload = JSON.parse(line)
  } catch {
    return parseErrorResponse()
  }
  if (!Array.isArray(payload)) return run(() => receiveOne(server, payload, ctx, opts.allow))
  if (payload.length === 0) return invalidRequest()
  if (opts.maxBatch !== undefined && payload.length > opts.maxBatch) {
    return createJSONRPCErrorResponse(
      null,
      ErrorCode.INVALID_REQUEST,
      `a batch may hold at most ${opts.maxBatch} calls (this one held ${payload.length}); split it`,
      { maxBatch: opts.maxBatch },
    )
  }
  const answers = (await Promise.all(payload.map((p) => run(() => receiveOne(server, p, ctx, opts.allow))))).filter(
    (r) => r !== null,
  )
  return answers.length ? answers : null
}
