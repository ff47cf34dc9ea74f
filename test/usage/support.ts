import { FakeClock } from '../helpers/clock.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import type { TestDirs } from '../helpers/daemon.js'
import type { NotifySpawn } from '../../daemon/usage/notifier.js'
import { tokensAt } from '../rotation/support.js'

export interface UsageApp {
  t: TestApp
  clock: FakeClock
  add(alias: string, n: number): Promise<void>
  /** Writes what the history holds now. */
  usageFlush(): Promise<void>
  close(): Promise<void>
}

/** An in-process daemon on a FakeClock (no keep-alive), with accounts added by alias. */
export async function startUsageApp(
  opts: {
    clock?: FakeClock
    dirs?: TestDirs
    env?: Record<string, string>
    notifySpawn?: NotifySpawn
    platform?: string
  } = {},
): Promise<UsageApp> {
  const clock = opts.clock ?? new FakeClock()
  const t = await startTestApp({ ...opts, clock, noKeepAlive: true })
  return {
    t,
    clock,
    async add(alias, n) {
      await t.client.call('accounts.add', { ...tokensAt(clock, n), alias })
    },
    usageFlush: () => t.app.usage.history.flush(),
    close: () => t.close(),
  }
}

/** x-codex-* headers for a 5 h window at `used` percent that resets `resetInS` from now. */
export function limitHeaders(used: number, resetInS = 3 * 3600, weeklyUsed?: number): Record<string, string> {
  const h: Record<string, string> = {
    'x-codex-primary-used-percent': String(used),
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-after-seconds': String(resetInS),
  }
  if (weeklyUsed !== undefined) {
    h['x-codex-secondary-used-percent'] = String(weeklyUsed)
    h['x-codex-secondary-window-minutes'] = '10080'
    h['x-codex-secondary-reset-after-seconds'] = String(5 * 86400)
  }
  return h
}
