/**
 * `npm run chaos`: a real daemon, the fake issuer, and everything a careless
 * user or a hostile local client can do to them. Prints figures (and `--json`),
 * asserts no timings; exits 1 when an invariant broke:
 * - kill -9 at random moments under token.get load with short-lived tokens (every
 *   token.get refreshes): after each, the store loads, every account is there, and
 *   the daemon never presents a spent refresh token beyond the accounts a crash
 *   genuinely cost (those whose rotated pair died before its fsync);
 * - malformed frames, many connections, a client that never reads, half-open and
 *   idle connections, a SIGSTOP'd daemon, another uid: the daemon survives, stays
 *   small, and serves everyone else.
 * Flags: --trials N (default 1000), --frames N, --connections N, --json.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { RpcClient } from '../../client/rpc/client.js'
import { CallTimeoutError } from '../../client/rpc/errors.js'
import { silentLogger, systemClock } from '../../daemon/deps.js'
import { AccountStore } from '../../daemon/store/store.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { RawConn } from '../server/raw.js'

const ACCOUNTS = 3

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i === -1 ? NaN : Number(process.argv[i + 1])
  return Number.isFinite(v) && v >= 0 ? v : fallback
}

const opts = {
  trials: flag('trials', 1000),
  frames: flag('frames', 10_000),
  connections: flag('connections', 500),
  json: process.argv.includes('--json'),
}
const figures: Record<string, number | string | boolean> = {}
const broken: string[] = []
const say = (line: string): void => void (opts.json ? process.stderr : process.stdout).write(`${line}\n`)

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : NaN
}

const identity = (n: number, gen: number) => ({
  email: `chaos${n}@example.com`,
  accountId: `acc-chaos-${n}`,
  userId: `user-chaos-${n}-${gen}`,
})

/** The store as the next start would see it (the daemon is dead; no lock needed). */
async function openStore(dirs: TestDirs): Promise<AccountStore> {
  return AccountStore.open({ file: dirs.storeFile, logger: silentLogger, clock: systemClock, lock: false })
}

async function seed(dirs: TestDirs, issuer: FakeIssuer, which: number[], gen: number): Promise<void> {
  const store = await openStore(dirs)
  await store.update((d) => {
    for (const n of which) {
      const t = issuer.addAccount(identity(n, gen), { expiresInS: 30 })
      d.accounts[`c${n}`] = {
        alias: `c${n}`,
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        idToken: t.idToken,
        expiresAt: Date.now() + 30_000,
        usageCount: 0,
        enabled: true,
        accountId: `acc-chaos-${n}`,
        userId: `user-chaos-${n}-${gen}`,
        email: `chaos${n}@example.com`,
      }
    }
  })
  await store.close()
}

async function killTrials(issuer: FakeIssuer): Promise<void> {
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  let lost = 0
  let storeFailures = 0
  let missing = 0
  let refreshes = 0
  let gen = 0
  const t0 = Date.now()
  try {
    await seed(dirs, issuer, [0, 1, 2], gen)
    for (let trial = 0; trial < opts.trials; trial++) {
      const reuseBefore = issuer.reuseDetected
      const refreshBefore = issuer.refreshCalls
      const daemon = await startDaemon(dirs)
      const clients = await Promise.all(Array.from({ length: 4 }, () => daemon.connect()))
      let stop = false
      const load = clients.map(async (c) => {
        while (!stop) await c.call('token.get', {}, { timeoutMs: 5000 }).catch(() => (stop = true))
      })
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400))
      daemon.proc.kill('SIGKILL')
      await daemon.exited
      stop = true
      await Promise.all(load)
      for (const c of clients) c.close()
      refreshes += issuer.refreshCalls - refreshBefore
      // What a restart does after a second; skipped here to save the wait.
      rmSync(`${dirs.storeFile}.lock`, { recursive: true, force: true })
      // The daemon presented a spent token only if it had one to present: checked below.
      const presented = issuer.reuseDetected - reuseBefore
      if (presented > 0) broken.push(`trial ${trial}: the daemon presented ${presented} spent refresh token(s)`)
      let store: AccountStore
      try {
        store = await openStore(dirs)
      } catch (err) {
        storeFailures++
        broken.push(`trial ${trial}: the store did not load: ${(err as Error).message}`)
        break
      }
      const gone: number[] = []
      for (let n = 0; n < ACCOUNTS; n++) {
        const a = store.data.accounts[`c${n}`]
        if (!a) {
          missing++
          gone.push(n)
        } else if (issuer.isSpent(a.refreshToken) || a.authInvalid) {
          // The issuer rotated, the new pair died with the process before its fsync.
          lost++
          gone.push(n)
        }
      }
      await store.close()
      if (gone.length) await seed(dirs, issuer, gone, ++gen)
    }
  } finally {
    cleanup(dirs)
  }
  const per1000 = opts.trials ? (lost / opts.trials) * 1000 : 0
  Object.assign(figures, {
    killTrials: opts.trials,
    killRefreshes: refreshes,
    killAccountsLost: lost,
    killAccountsLostPer1000: Number(per1000.toFixed(2)),
    killAccountsMissing: missing,
    killStoreLoadFailures: storeFailures,
    killSeconds: Math.round((Date.now() - t0) / 1000),
  })
  if (missing) broken.push(`${missing} account(s) missing from the store after a kill -9`)
  say(
    `kill -9: ${opts.trials} trials, ${refreshes} refreshes, store loaded every time: ${storeFailures === 0}, ` +
      `accounts missing ${missing}, accounts lost (rotated pair died before its fsync) ${lost} = ${per1000.toFixed(2)} per 1000 crashes`,
  )
}

async function servesOnce(daemon: SpawnedDaemon): Promise<boolean> {
  const c = await daemon.connect().catch(() => undefined)
  const ok = c
    ? await c.call('daemon.status', {}, { timeoutMs: 10_000 }).then(
        () => true,
        () => false,
      )
    : false
  c?.close()
  return ok
}

/**
 * `drainMs`: connections the test just closed count against the cap until the daemon has seen
 * them close, so a connection made at once may be refused for a moment; it must serve within this.
 */
async function assertServes(daemon: SpawnedDaemon, what: string, drainMs = 0): Promise<void> {
  const until = Date.now() + drainMs
  let ok = await servesOnce(daemon)
  while (!ok && Date.now() < until && daemon.proc.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50))
    ok = await servesOnce(daemon)
  }
  if (!ok || daemon.proc.exitCode !== null) broken.push(`after ${what} the daemon no longer serves`)
}

async function abuse(issuer: FakeIssuer): Promise<void> {
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  const daemon = await startDaemon(dirs)
  const pid = daemon.proc.pid as number
  try {
    const base = rssKiB(pid)
    figures.rssIdleKiB = base
    let peak = base
    const sample = (): void => void (peak = Math.max(peak, rssKiB(pid)))

    // Malformed frames, spread over a few connections.
    const garbage = [
      '{',
      'null',
      '[]',
      '[null]',
      '{"jsonrpc":"2.0","id":{},"method":1}',
      '\u0000\u00ff',
      '"x"',
      '[1,2,3]',
    ]
    const conns = await Promise.all(Array.from({ length: 8 }, () => RawConn.open(dirs.socketPath)))
    let answered = 0
    await Promise.all(
      conns.map(async (c, i) => {
        const n = Math.ceil(opts.frames / conns.length)
        for (let k = 0; k < n; k++) c.write(`${garbage[(k + i) % garbage.length] ?? '{'}\n`)
        for (let k = 0; k < n; k++)
          await c.next(30_000).then(
            () => answered++,
            () => undefined,
          )
        c.destroy()
      }),
    )
    sample()
    figures.malformedFramesSent = Math.ceil(opts.frames / conns.length) * conns.length
    figures.malformedFramesAnswered = answered
    await assertServes(daemon, 'malformed frames')

    // Many connections at once: the cap refuses the rest cleanly.
    const many = await Promise.all(
      Array.from({ length: opts.connections }, () =>
        RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 20_000 }).then(
          (c) => ({ c, ok: true, msg: '' }),
          (e: unknown) => ({ c: undefined, ok: false, msg: (e as Error).message }),
        ),
      ),
    )
    sample()
    figures.connectionsOpened = opts.connections
    figures.connectionsServed = many.filter((m) => m.ok).length
    figures.connectionsRefusedWithReason = many.filter((m) => !m.ok && /connections/.test(m.msg)).length
    for (const m of many) m.c?.close()
    await assertServes(daemon, `${opts.connections} connections`, 5000)

    // A client that writes 20k requests and never reads.
    const deaf = connect(dirs.socketPath)
    deaf.on('error', () => {})
    await new Promise((r) => deaf.once('connect', r))
    deaf.pause()
    const req = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'accounts.list' }) + '\n'
    deaf.write(req.repeat(20_000))
    await new Promise((r) => setTimeout(r, 2000))
    sample()
    figures.nonReadingClientRssGrowthKiB = rssKiB(pid) - base
    await assertServes(daemon, 'a non-reading client')
    deaf.destroy()

    // Idle connections each holding half a frame: the shared budget closes the excess.
    const idle = await Promise.all(Array.from({ length: 100 }, () => RawConn.open(dirs.socketPath)))
    for (const c of idle) c.write('{"jsonrpc":"2.0","id":1,"method":"' + 'x'.repeat(512 * 1024))
    await new Promise((r) => setTimeout(r, 2000))
    sample()
    figures.partialFrameConnections = idle.length
    figures.partialFrameConnectionsClosed = idle.filter((c) => c.isClosed).length
    figures.partialFrameRssGrowthKiB = rssKiB(pid) - base
    for (const c of idle) c.destroy()
    await assertServes(daemon, 'idle half-frame connections')

    // Half-open: the request, then end(); the answer must still come.
    const half = await RawConn.open(dirs.socketPath)
    const answer = half.next(10_000)
    half.socket.end(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'accounts.refresh', params: {} }) + '\n')
    figures.halfOpenAnswered = await answer.then(
      (m) => m.id === 9,
      () => false,
    )
    if (figures.halfOpenAnswered !== true) broken.push('a half-closed client did not get its answer')

    // SIGSTOP: clients time out cleanly; after SIGCONT the daemon serves again.
    const waiting = await daemon.connect()
    process.kill(pid, 'SIGSTOP')
    const timedOut = await waiting.call('daemon.status', {}, { timeoutMs: 1000 }).then(
      () => false,
      (e: unknown) => e instanceof CallTimeoutError,
    )
    process.kill(pid, 'SIGCONT')
    waiting.close()
    figures.sigstopClientTimedOutCleanly = timedOut
    if (!timedOut) broken.push('a call to a SIGSTOPped daemon did not time out cleanly')
    await assertServes(daemon, 'SIGSTOP/SIGCONT')

    // Another uid: the 0700 directory and 0600 socket keep it out.
    if (process.getuid?.() === 0 && existsSync('/usr/bin/setpriv')) {
      const r = spawnSync(
        '/usr/bin/setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          '-e',
          `require('net').connect(${JSON.stringify(dirs.socketPath)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`,
        ],
        { encoding: 'utf8', timeout: 10_000 },
      )
      figures.otherUid = r.stdout.trim() || r.stderr.trim()
      if (figures.otherUid === 'CONNECTED') broken.push('another uid connected to the socket')
    } else figures.otherUid = 'skipped (not root or no setpriv)'

    sample()
    figures.rssPeakKiB = peak
    figures.rssPeakGrowthKiB = peak - base
  } finally {
    await daemon.stop()
    cleanup(dirs)
  }
}

const issuer = await startFakeIssuer({ accessTokenTtlS: 30 })
try {
  say(`opencode-multi-auth chaos — node ${process.version}, ${new Date().toISOString()}`)
  await killTrials(issuer)
  await abuse(issuer)
} finally {
  await issuer.close()
}
for (const [k, v] of Object.entries(figures)) say(`${k.padEnd(34)} ${String(v)}`)
figures.broken = broken.length
if (opts.json) process.stdout.write(`${JSON.stringify({ ...figures, problems: broken })}\n`)
for (const b of broken) say(`BROKEN: ${b}`)
process.exit(broken.length ? 1 : 0)
