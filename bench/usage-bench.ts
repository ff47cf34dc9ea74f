/**
 * Usage history on the hot path: token.report with and without token counts, and
 * token.get on a daemon with no history beside one holding 90 days for every account.
 * Rows of a pair are measured in alternating rounds, so machine noise hits both alike.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { RpcClient } from '../client/rpc/client.js'
import { storeSchema } from '../daemon/store/schema.js'
import { DAY_MS, HOUR_MS, HOURLY_RETENTION_MS, newBucket, RETENTION_MS } from '../daemon/usage/buckets.js'
import { encodeHistory, usageFilePath, type AccountHistory } from '../daemon/usage/file.js'
import { identityKey } from '../daemon/usage/history.js'
import { startFakeIssuer, type FakeIssuer } from '../test/fakes/issuer.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../test/helpers/daemon.js'
import { load, printTable, type Stats } from './stats.js'

const CLIENTS = 16
const PER_ROUND = 2000
const ROUNDS = 4
const ACCOUNTS = 4

const HEADERS = {
  'x-codex-primary-used-percent': '42',
  'x-codex-primary-window-minutes': '300',
  'x-codex-primary-reset-after-seconds': '3600',
  'x-codex-secondary-used-percent': '12',
  'x-codex-secondary-window-minutes': '10080',
  'x-codex-secondary-reset-after-seconds': '400000',
}
const USAGE = { inputTokens: 1200, outputTokens: 340, cachedTokens: 900, reasoningTokens: 64 }

interface Bench {
  dirs: TestDirs
  daemon: SpawnedDaemon
  clients: RpcClient[]
}

async function start(issuer: FakeIssuer, tag: string, fullHistory: boolean): Promise<Bench> {
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  let daemon = await startDaemon(dirs)
  const admin = await daemon.connect()
  for (let n = 1; n <= ACCOUNTS; n++) {
    const t = issuer.addAccount({ email: `${tag}${n}@example.com`, accountId: `${tag}a${n}`, userId: `${tag}u${n}` })
    await admin.call('accounts.add', { accessToken: t.accessToken, refreshToken: t.refreshToken, idToken: t.idToken })
  }
  admin.close()
  if (fullHistory) {
    await daemon.stop()
    writeFullHistory(dirs.storeFile)
    daemon = await startDaemon(dirs)
  }
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () =>
      RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 30_000, skipVersionCheck: true }),
    ),
  )
  return { dirs, daemon, clients }
}

/** 14 days of hours and 76 more of days for every account, as a long-running daemon would hold. */
function writeFullHistory(storeFile: string): void {
  const store = storeSchema.parse(JSON.parse(readFileSync(storeFile, 'utf8')))
  const now = Date.now()
  const history = new Map<string, AccountHistory>()
  for (const [alias, acc] of Object.entries(store.accounts)) {
    const entry: AccountHistory = { key: identityKey(acc), hours: [], days: [] }
    const firstHour = Math.floor((now - HOURLY_RETENTION_MS + DAY_MS) / HOUR_MS) * HOUR_MS
    for (let t = Math.floor((now - RETENTION_MS + DAY_MS) / DAY_MS) * DAY_MS; t < firstHour - DAY_MS; t += DAY_MS)
      entry.days.push({ ...newBucket(t, 24), requests: 500, inputTokens: 600_000, outputTokens: 90_000 })
    for (let t = firstHour; t <= now; t += HOUR_MS)
      entry.hours.push({ ...newBucket(t, 1), requests: 20, inputTokens: 24_000, fiveHourUsedPercent: 40 })
    history.set(alias, entry)
  }
  writeFileSync(usageFilePath(storeFile), encodeHistory(history), { mode: 0o600 })
}

/** Alternating rounds of a and b; per-row stats over all their rounds. */
async function pair(a: (c: number) => Promise<unknown>, b: (c: number) => Promise<unknown>): Promise<[Stats, Stats]> {
  await load(CLIENTS, 50, a)
  await load(CLIENTS, 50, b)
  const sa: Stats[] = []
  const sb: Stats[] = []
  for (let r = 0; r < ROUNDS; r++) {
    sa.push(await load(CLIENTS, PER_ROUND / CLIENTS, a))
    sb.push(await load(CLIENTS, PER_ROUND / CLIENTS, b))
  }
  return [merge(sa), merge(sb)]
}

function merge(s: Stats[]): Stats {
  const mid = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  return { p50: mid(s.map((x) => x.p50)), p99: mid(s.map((x) => x.p99)), perSec: mid(s.map((x) => x.perSec)), n: 0 }
}

export async function run(): Promise<void> {
  const issuer = await startFakeIssuer()
  const empty = await start(issuer, 'e', false)
  const full = await start(issuer, 'f', true)
  try {
    const aliases = (await empty.clients[0].call('accounts.list', {})).accounts.map((a) => a.alias)
    let i = 0
    const report =
      (withUsage: boolean) =>
      (c: number): Promise<unknown> =>
        empty.clients[c].call('token.report', {
          alias: aliases[i++ % aliases.length],
          status: 200,
          headers: HEADERS,
          ...(withUsage ? { usage: USAGE } : {}),
        })
    const [plain, counted] = await pair(report(false), report(true))
    const [getEmpty, getFull] = await pair(
      (c) => empty.clients[c].call('token.get', {}),
      (c) => full.clients[c].call('token.get', {}),
    )
    // The second daemon really holds the history (a file it could not read would have been set aside).
    const held = (await full.clients[0].call('usage.get', { since: 0 })).pool.totals.requests
    const ratio = (a: Stats, b: Stats): string => `${((b.p50 / a.p50) * 100).toFixed(0)} %`
    printTable(
      `Usage history on the hot path (${CLIENTS} clients, ${ROUNDS} alternating rounds of ${PER_ROUND} calls, median round)`,
      ['case', 'p50 ms', 'p99 ms', 'calls/s', 'p50 vs first row'],
      [
        ['token.report, limit headers, no usage', plain.p50, plain.p99, plain.perSec, '100 %'],
        ['token.report, limit headers + usage', counted.p50, counted.p99, counted.perSec, ratio(plain, counted)],
        ['token.get, no history', getEmpty.p50, getEmpty.p99, getEmpty.perSec, '100 %'],
        [
          `token.get, 90 days of history x ${ACCOUNTS} (${held} requests held)`,
          getFull.p50,
          getFull.p99,
          getFull.perSec,
          ratio(getEmpty, getFull),
        ],
      ],
    )
  } finally {
    for (const b of [empty, full]) {
      for (const c of b.clients) c.close()
      await b.daemon.stop()
      cleanup(b.dirs)
    }
    await issuer.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
