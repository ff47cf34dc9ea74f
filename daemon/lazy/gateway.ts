import type { GatewayStatus } from '../../protocol/methods.js'
import type { Settings } from '../../protocol/schemas.js'
import type { Gateway, GatewayDeps } from '../gateway/index.js'
import { deferred } from './once.js'

export interface GatewayControl {
  /** After the changes applied so far have taken effect (a listener started or stopped). */
  status(): Promise<GatewayStatus>
  apply(settings: Pick<Settings, 'gatewayEnabled' | 'gatewayPort'>): Promise<void>
  close(): Promise<void>
}

/**
 * The gateway (its HTTP server and the upstream client behind it) loaded only once it
 * is to listen: the --gateway flag, or the gatewayEnabled setting at start or later.
 * Until then it has served nothing, which is what status() says.
 */
export function lazyGateway(
  deps: GatewayDeps,
  make: (deps: GatewayDeps) => Promise<Pick<Gateway, 'status' | 'apply' | 'close'>> = async (d) =>
    new (await import('../gateway/index.js')).Gateway(d),
): GatewayControl {
  const gateway = deferred(() => make(deps))
  let applied: Promise<void> = Promise.resolve()
  return {
    async status() {
      // The first enable loads the module before it can listen: answer once that is done,
      // as status right after settings.update did when the gateway was loaded at start.
      await applied
      return gateway.loaded?.status() ?? { enabled: false, requests: 0, failovers: 0 }
    },
    apply(settings) {
      if (!gateway.asked && !deps.forced && !settings.gatewayEnabled) return applied
      // Once asked for, every change goes to it in the order given (callbacks on one promise
      // run in order, then the gateway's own chain keeps it), so a quick on-off ends off.
      const loaded = gateway.get().catch((err: unknown) => {
        deps.logger.error('the gateway could not be loaded', {
          error: err instanceof Error ? err.message : String(err),
        })
      })
      applied = loaded.then((g) => g?.apply(settings))
      return applied
    },
    // One still loading is waited for, so that nothing listens after the stop.
    close: async () => (await gateway.ifAsked())?.close(),
  }
}
