import { FakeClock } from '../helpers/clock.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import type { Identity } from '../fakes/jwt.js'
import { tokensAt } from './support.js'

export interface RotationApp {
  t: TestApp
  clock: FakeClock
  /** Adds account n under `alias`, with tokens valid 10 days from the fake clock's now. */
  add(alias: string, n: number, over?: Partial<Identity>): Promise<void>
  /** n token.get calls; the aliases served. */
  serve(n: number, params?: { model?: string; sessionKey?: string }): Promise<string[]>
  close(): Promise<void>
}

/** An in-process daemon on a FakeClock, no keep-alive (nothing refreshes behind the test's back). */
export async function startRotationApp(): Promise<RotationApp> {
  const clock = new FakeClock()
  const t = await startTestApp({ clock, noKeepAlive: true })
  return {
    t,
    clock,
    async add(alias, n, over = {}) {
      await t.client.call('accounts.add', { ...tokensAt(clock, n, over), alias })
    },
    async serve(n, params = {}) {
      const out: string[] = []
      for (let i = 0; i < n; i++) out.push((await t.client.call('token.get', params)).alias)
      return out
    },
    close: () => t.close(),
  }
}
