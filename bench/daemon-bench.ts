import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { RpcClient } from '../client/rpc/client.js'
import { startFakeIssuer } from '../test/fakes/issuer.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { benchDaemonCommand, cpuTicks, rssMb, spawnBenchDaemon } from './daemon-proc.js'
import { emptyStore } from '../daemon/store/schema.js'
import { upsertTokens } from '../daemon/accounts/upsert.js'
import { load, printTable, type Stats } from './stats.js'
import { pin, placementLabel } from './placement.js'
import { oldSelection, writeStore } from './old-design.js'

const CONCURRENCY = [1, 16, 64]
const QUICK = process.argv.includes('--quick')
const CALLS = QUICK ? 1000 : 4000
/**
 * Calls (over all clients) before a row is measured. V8 optimises the path in background threads
 * that share the bench's CPU: measured here, 1 to 2 % of the first ~6000 calls stall for 1 to 7 ms
 * while it does, and none after. The echo floor's path is tiny and warms at once.
 */
export const WARM_UP_CALLS = 8000

async function clients(socketPath: string, n: number): Promise<RpcClient[]> {
  return Promise.all(
    Array.from({ length: n }, () => RpcClient.connect({ socketPath, timeoutMs: 30_000, skipVersionCheck: true })),
  )
}

async function echoFloor(root: string): Promise<Stats[]> {
  const socketPath = join(root, 'echo.sock')
  const proc = spawn(process.execPath, [join(import.meta.dirname, 'echo-server.mjs'), socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (proc.pid) pin(proc.pid)
  await new Promise((r) => proc.stdout.once('data', r))
  const out: Stats[] = []
  for (const c of CONCURRENCY) {
    const cs = await clients(socketPath, c)
    await load(c, Math.ceil(WARM_UP_CALLS / c), (i) => cs[i].call('daemon.status', {}))
    out.push(await load(c, Math.ceil(CALLS / c), (i) => cs[i].call('daemon.status', {})))
    for (const x of cs) x.close()
  }
  proc.kill()
  return out
}

function oldDesign(root: string, passphrase: string | undefined, calls: number): Stats[] {
  const file = join(root, passphrase ? 'old-enc.json' : 'old.json')
  const data = emptyStore(Date.now())
  for (let n = 1; n <= 4; n++) {
    const [h, p] = [
      { alg: 'none' },
      {
        exp: Math.floor(Date.now() / 1000) + 864000,
        iat: Math.floor(Date.now() / 1000),
        email: `u${n}@x.io`,
        'https://api.openai.com/auth': { chatgpt_account_id: `a${n}`, chatgpt_user_id: `u${n}` },
      },
    ]
    const jwt = `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.sig`
    upsertTokens(
      data,
      { accessToken: jwt, refreshToken: `rt_${'x'.repeat(40)}${n}` },
      { now: Date.now(), source: 'bench' },
    )
  }
  writeStore(file, data, passphrase)
  // One process doing it serially is the old design's best case: several processes only add contention.
  const lat: number[] = []
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) {
    const s = performance.now()
    oldSelection(file, passphrase, i)
    lat.push(performance.now() - s)
  }
  const wall = performance.now() - t0
  const sorted = lat.sort((a, b) => a - b)
  return [
    {
      p50: sorted[Math.floor(calls / 2)],
      p99: sorted[Math.floor(calls * 0.99)],
      perSec: (calls / wall) * 1000,
      n: calls,
    },
  ]
}

export async function run(): Promise<void> {
  const issuer = await startFakeIssuer()
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  const daemon = await spawnBenchDaemon(dirs)
  const pid = daemon.pid
  try {
    const admin = await daemon.connect()
    for (let n = 1; n <= 4; n++) {
      const t = issuer.addAccount({ email: `u${n}@example.com`, accountId: `a${n}`, userId: `u${n}` })
      await admin.call('accounts.add', { accessToken: t.accessToken, refreshToken: t.refreshToken, idToken: t.idToken })
    }
    const idleRss = rssMb(pid)
    const cpu0 = cpuTicks(pid)
    const idleStart = Date.now()
    await new Promise((r) => setTimeout(r, QUICK ? 1000 : 3000))
    const idleCpu = ((cpuTicks(pid) - cpu0) / 100 / ((Date.now() - idleStart) / 1000)) * 100

    const daemonStats: Stats[] = []
    for (const c of CONCURRENCY) {
      const cs = await clients(dirs.socketPath, c)
      await load(c, Math.ceil(WARM_UP_CALLS / c), (i) => cs[i].call('token.get', {}))
      daemonStats.push(await load(c, Math.ceil(CALLS / c), (i) => cs[i].call('token.get', {})))
      for (const x of cs) x.close()
    }
    const loadRss = rssMb(pid)
    const echo = await echoFloor(dirs.root)
    const oldPlain = oldDesign(dirs.root, undefined, QUICK ? 100 : 300)
    const oldEnc = oldDesign(dirs.root, 'bench passphrase', QUICK ? 10 : 30)

    const rows: (string | number)[][] = []
    CONCURRENCY.forEach((c, i) => {
      rows.push([`token.get, ${c} client(s)`, daemonStats[i].p50, daemonStats[i].p99, daemonStats[i].perSec])
      rows.push([`  NDJSON echo floor, ${c}`, echo[i].p50, echo[i].p99, echo[i].perSec])
    })
    rows.push(['old design per request (plaintext)', oldPlain[0].p50, oldPlain[0].p99, oldPlain[0].perSec])
    rows.push(['old design per request (passphrase)', oldEnc[0].p50, oldEnc[0].p99, oldEnc[0].perSec])
    printTable(
      `token.get on a warm daemon from ${benchDaemonCommand().label}, 4 accounts (${CALLS} calls per row; ${placementLabel()})`,
      ['case', 'p50 ms', 'p99 ms', 'calls/s'],
      rows,
    )

    // Coalescing: 100 callers at once on an account whose token is about to expire.
    const coalesce: (string | number)[][] = []
    for (const round of QUICK ? [1] : [1, 2, 3]) {
      const cs = await clients(dirs.socketPath, 20)
      // Keep-alive may start the refresh the moment the account arrives: it is one more caller.
      const before = issuer.refreshCalls
      issuer.setDelay(50)
      const t = issuer.addAccount(
        { email: `exp${round}@example.com`, accountId: `e${round}`, userId: `e${round}` },
        { expiresInS: 1 },
      )
      const view = await admin.call('accounts.add', {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        idToken: t.idToken,
      })
      await admin.call('rotation.force', { alias: view.alias }).catch(() => undefined)
      await Promise.all(Array.from({ length: 100 }, (_, i) => cs[i % 20].call('token.get', {})))
      issuer.setDelay(0)
      const calls = issuer.refreshCalls - before
      coalesce.push([`round ${round}`, 100, calls, calls ? 100 / calls : '-'])
      for (const x of cs) x.close()
      await admin.call('rotation.clearForce', {}).catch(() => undefined)
      await admin.call('accounts.remove', { alias: view.alias })
    }
    printTable(
      'Refresh coalescing: 100 concurrent token.get on an expiring account',
      ['round', 'callers', 'token-endpoint calls', 'callers per call'],
      coalesce,
    )

    printTable(
      'Daemon resources',
      ['measure', 'value'],
      [
        ['start→ready (ms)', daemon.readyMs],
        ['RSS idle (MB)', idleRss],
        ['RSS after load (MB)', loadRss],
        [`CPU idle over ${QUICK ? 1 : 3} s (%)`, idleCpu],
        ['issuer reuse detected', issuer.reuseDetected],
      ],
    )
    admin.close()
  } finally {
    await daemon.stop()
    await issuer.close()
    cleanup(dirs)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
