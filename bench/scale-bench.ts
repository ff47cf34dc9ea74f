import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { encode } from '../daemon/store/codec.js'
import { emptyStore } from '../daemon/store/schema.js'
import { upsertTokens } from '../daemon/accounts/upsert.js'
import { startFakeIssuer, type FakeIssuer } from '../test/fakes/issuer.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { benchDaemonCommand, idleProfile, rssMb, spawnBenchDaemon } from './daemon-proc.js'
import { load, printTable, type Stats } from './stats.js'
import { placementLabel } from './placement.js'
import { WARM_UP_CALLS } from './daemon-bench.js'

/** A store of `n` accounts the fake issuer knows, freshly refreshed, so keep-alive stays asleep. */
export function seedStore(file: string, issuer: FakeIssuer, n: number): void {
  const now = Date.now()
  const data = emptyStore(now)
  for (let i = 0; i < n; i++) {
    const t = issuer.addAccount(
      { email: `s${i}@example.com`, accountId: `sa${i}`, userId: `su${i}` },
      { expiresInS: 10 * 86_400 },
    )
    upsertTokens(data, t, { now, source: 'bench' })
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  writeFileSync(file, encode(data), { mode: 0o600 })
}

export interface ScaleRow {
  accounts: number
  readyMs: number
  rssIdle: number
  rssAfter: number
  idleWakeupsPerMin: number
  idleCpuPct: number
  get: Stats
  add: Stats
}

/** One daemon over a store of `n` accounts: start→ready, idle, token.get, then store writes (accounts.add). */
async function scaleOne(n: number, quick: boolean): Promise<ScaleRow> {
  const issuer = await startFakeIssuer()
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  try {
    seedStore(dirs.storeFile, issuer, n)
    const daemon = await spawnBenchDaemon(dirs)
    try {
      // Let start-up work (first timers, lazy imports) settle before calling it idle.
      await new Promise((r) => setTimeout(r, quick ? 500 : 1500))
      const rssIdle = rssMb(daemon.pid)
      const idle = await idleProfile(daemon.pid, quick ? 3000 : 10_000)
      const c = await daemon.connect()
      const calls = quick ? 500 : 3000
      await load(1, WARM_UP_CALLS, () => c.call('token.get', {}))
      const get = await load(1, calls, () => c.call('token.get', {}))
      const adds = quick ? 10 : 30
      // Like token.get, writes are timed once warm: the first few after a start are the JIT's
      // (and the first one checks and serializes every account), not the steady cost.
      const warm = 10
      const fresh = Array.from({ length: warm + adds + 1 }, (_, i) =>
        issuer.addAccount(
          { email: `n${i}@example.com`, accountId: `na${i}`, userId: `nu${i}` },
          { expiresInS: 864_000 },
        ),
      )
      let k = 0
      const addOne = () => {
        const t = fresh[k++]
        return c.call('accounts.add', { accessToken: t.accessToken, refreshToken: t.refreshToken, idToken: t.idToken })
      }
      await load(1, warm, addOne) // warm-up
      const add = await load(1, adds + 1, addOne)
      const rssAfter = rssMb(daemon.pid)
      c.close()
      return {
        accounts: n,
        readyMs: daemon.readyMs,
        rssIdle,
        rssAfter,
        idleWakeupsPerMin: idle.perMin,
        idleCpuPct: idle.cpuPct,
        get,
        add,
      }
    } finally {
      await daemon.stop()
    }
  } finally {
    await issuer.close()
    cleanup(dirs)
  }
}

export async function run(opts: { quick?: boolean } = {}): Promise<ScaleRow[]> {
  const quick = opts.quick ?? process.argv.includes('--quick')
  const sizes = [3, 100, 1000]
  const rows: ScaleRow[] = []
  for (const n of sizes) rows.push(await scaleOne(n, quick))
  const base = rows[0]
  printTable(
    `Scale (daemon from ${benchDaemonCommand().label}, 1 client, ${placementLabel()}; token.get x${quick ? 500 : 3000}, accounts.add x${quick ? 11 : 31} after 10)`,
    ['accounts', 'token.get p50 ms', 'p99 ms', 'vs 3 accts', 'store write p50 ms', 'p99 ms'],
    rows.map((r) => [
      r.accounts,
      r.get.p50,
      r.get.p99,
      `${(r.get.p50 / base.get.p50).toFixed(2)}x`,
      r.add.p50,
      r.add.p99,
    ]),
  )
  printTable(
    `Daemon process (idle over ${quick ? 3 : 10} s)`,
    ['accounts', 'start→ready ms', 'RSS idle MB', 'RSS after load MB', 'idle wake-ups/min', 'idle CPU %'],
    rows.map((r) => [r.accounts, r.readyMs, r.rssIdle, r.rssAfter, r.idleWakeupsPerMin, r.idleCpuPct]),
  )
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
