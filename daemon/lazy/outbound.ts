/**
 * The daemon's one outbound fetch, with the proxy code (undici: about 15 MB of RSS and
 * 70-120 ms of start-up, docs/performance.md) loaded only once a proxy is in effect: at
 * start when the environment names one, else at the first call that finds the `proxy`
 * setting set. Without a proxy every call goes straight to Node's own fetch, as
 * net/proxy.ts itself does then.
 */
import type { FetchFn } from '../deps.js'
import type { ProxyOptions, proxiedFetch } from '../net/proxy.js'
import { hasProxyEnv } from '../net/proxy-env.js'

type ProxyModule = { proxiedFetch: typeof proxiedFetch }

const loadProxy = (): Promise<ProxyModule> => import('../net/proxy.js')

export async function outboundFetch(
  opts: ProxyOptions,
  load: () => Promise<ProxyModule> = loadProxy,
): Promise<FetchFn> {
  // A proxy from the environment applies to every call: build it now, as before (its log line included).
  if (hasProxyEnv(opts.env)) return (await load()).proxiedFetch(opts)
  let proxied: Promise<FetchFn> | undefined
  return (input, init) => {
    if (!proxied && !opts.setting()?.trim()) return opts.direct(input, init)
    // Once loaded, net/proxy.ts follows the setting itself (back to direct when it is cleared).
    proxied ??= load()
      .then((m) => m.proxiedFetch(opts))
      .catch((err: unknown) => {
        proxied = undefined
        throw err
      })
    return proxied.then((f) => f(input, init))
  }
}
