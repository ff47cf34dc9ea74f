import type { LimitsProbe, ProbeDeps } from '../limits/probe.js'
import { deferred } from './once.js'

export type Limits = { [K in 'refresh' | 'stop']: (alias?: string) => Promise<ReturnType<LimitsProbe[K]>> } & {
  close(): Promise<void>
}

/** The usage-endpoint probe queue, loaded at the first limits.refresh / limits.stop. */
export function lazyLimitsProbe(deps: ProbeDeps): Limits {
  const probe = deferred(async () => new (await import('../limits/probe.js')).LimitsProbe(deps))
  return {
    refresh: async (alias) => (await probe.get()).refresh(alias),
    stop: async (alias) => (await probe.get()).stop(alias),
    close: async () => {
      await (await probe.ifAsked())?.close()
    },
  }
}
