/** An in-process daemon wired to the fake issuer and the fake backend, plus a wait on probe events. */
import type { RpcClient } from '../../client/rpc/client.js'
import type { Clock, FetchFn } from '../../daemon/deps.js'
import type { EventOf } from '../../protocol/events.js'

/** A probe's 'limits.updated' event: one outcome, or the aliases limits.stop dropped. */
export type ProbeEvent = Extract<EventOf<'limits.updated'>, { source: 'probe' }>
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from '../fakes/backend.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import { startTestApp, type TestApp } from '../helpers/app.js'

export interface LimitsApp {
  issuer: FakeIssuer
  backend: FakeBackend
  t: TestApp
  close(): Promise<void>
}

export async function startLimitsApp(
  opts: { fetch?: FetchFn; clock?: Clock; backend?: FakeBackendOptions } = {},
): Promise<LimitsApp> {
  const issuer = await startFakeIssuer()
  const backend = await startFakeBackend(opts.backend)
  const t = await startTestApp({
    env: { OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url },
    noKeepAlive: true,
    fetch: opts.fetch,
    clock: opts.clock,
  })
  return {
    issuer,
    backend,
    t,
    async close() {
      await t.close()
      await Promise.all([issuer.close(), backend.close()])
    },
  }
}

/** Probe outcomes as 'limits.updated' events; subscribe before asking so none is missed. */
export async function probeEvents(client: RpcClient): Promise<{
  events: ProbeEvent[] /** The first outcome for alias among events[from..]. */
  outcome(alias: string, from?: number, timeoutMs?: number): Promise<ProbeEvent>
}> {
  const events: ProbeEvent[] = []
  const waiters = new Set<() => void>()
  await client.subscribe(['limits.updated'], (e) => {
    if (e.source !== 'probe') return
    events.push(e)
    for (const w of waiters) w()
  })
  return {
    events,
    outcome(alias, from = 0, timeoutMs = 10_000) {
      return new Promise<ProbeEvent>((resolve, reject) => {
        const check = (): void => {
          const hit = events.slice(from).find((e) => 'ok' in e && e.alias === alias)
          if (!hit) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(hit)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no probe outcome for ${alias} in ${timeoutMs} ms; events: ${JSON.stringify(events)}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}

export function usageRequests(backend: FakeBackend): FakeBackend['requests'] {
  return backend.requests.filter((r) => r.path === '/backend-api/codex/usage')
}
