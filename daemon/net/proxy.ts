import { EnvHttpProxyAgent, fetch as undiciFetch, getGlobalDispatcher, type Dispatcher } from 'undici'
import type { FetchFn, Logger } from '../deps.js'
import { hasProxyEnv, pickEnv } from './proxy-env.js'
import { requestFetch } from './request-fetch.js'

/**
 * Outbound HTTP through the user's proxy. Node 20's fetch ignores
 * HTTPS_PROXY/HTTP_PROXY/NO_PROXY; undici's EnvHttpProxyAgent honours them
 * (CONNECT for https, so TLS is still verified end to end against the origin,
 * with NODE_EXTRA_CA_CERTS for a private CA). The `proxy` setting, when set,
 * wins over the environment for both schemes; NO_PROXY still applies. Plain requests
 * go out on undici's `request` (request-fetch.ts), through the same agent.
 */
export interface ProxyOptions {
  env: Record<string, string | undefined>
  /** The `proxy` setting, read per call so a change applies without a restart. */
  setting: () => string | undefined
  logger: Logger
  /** With no proxy in effect, for what request-fetch.ts does not take on itself (a stream body, a redirect). */
  direct: FetchFn
}

/** What a log line may say about a proxy URL: no user or password. */
export function describeProxy(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return '(invalid proxy URL)'
  }
}

export function proxiedFetch(opts: ProxyOptions): FetchFn {
  return proxiedOutbound(opts).fetch
}

export interface Outbound {
  fetch: FetchFn
  /** What plain requests go through (for a caller that uses undici's `request` itself: the gateway). */
  dispatcher: () => Dispatcher
  /** The full fetch, for what a plain request does not take on (a redirect). */
  fullFetch: FetchFn
}

export function proxiedOutbound(opts: ProxyOptions): Outbound {
  const noProxy = pickEnv(opts.env, 'NO_PROXY')
  const fromEnv = hasProxyEnv(opts.env) ? new EnvHttpProxyAgent() : undefined
  let cached: { url: string; agent: Dispatcher } | undefined
  const agentFor = (): Dispatcher | undefined => {
    const url = opts.setting()?.trim()
    if (!url) return fromEnv
    if (cached?.url !== url) {
      void cached?.agent.close().catch(() => {})
      cached = { url, agent: new EnvHttpProxyAgent({ httpProxy: url, httpsProxy: url, noProxy }) }
      opts.logger.info('outbound calls go through the proxy setting', { proxy: describeProxy(url) })
    }
    return cached.agent
  }
  if (fromEnv) opts.logger.info('outbound calls honour the proxy environment (HTTPS_PROXY/HTTP_PROXY/NO_PROXY)')
  const fetchFallback = (input: Parameters<FetchFn>[0], init?: Parameters<FetchFn>[1]): Promise<Response> => {
    const dispatcher = agentFor()
    if (!dispatcher) return opts.direct(input, init)
    const url = input instanceof Request ? input.url : input
    // undici's own fetch: Node 20's bundled one may not take a dispatcher from this undici version.
    const undiciInit = { ...init, dispatcher } as unknown as Parameters<typeof undiciFetch>[1]
    return undiciFetch(url, undiciInit) as Promise<unknown> as Promise<Response>
  }
  // No proxy: the process's agent, the one Node's fetch uses too (one connection pool).
  const dispatcher = (): Dispatcher => agentFor() ?? getGlobalDispatcher()
  return { fetch: requestFetch(dispatcher, fetchFallback), dispatcher, fullFetch: fetchFallback }
}
