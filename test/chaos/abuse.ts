/**
 * The hostile-client phase of `npm run chaos`: malformed frames, many connections, a client
 * that never reads, half-open and idle connections, a SIGSTOP'd daemon, another uid. The
 * daemon must survive, stay small, and keep serving everyone else.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { RpcClient } from '../../client/rpc/client.js'
import { CallTimeoutError } from '../../client/rpc/errors.js'
import type { FakeIssuer } from '../fakes/issuer.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon } from '../helpers/daemon.js'
import { RawConn } from '../server/raw.js'
import type { ChaosRun } from './run.js'

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : NaN
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
async function assertServes(broken: string[], daemon: SpawnedDaemon, what: string, drainMs = 0): Promise<void> {
  const until = Date.now() + drainMs
  let ok = await servesOnce(daemon)
  while (!ok && Date.now() < until && daemon.proc.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50))
    ok = await servesOnce(daemon)
  }
  if (!ok || daemon.proc.exitCode !== null) broken.push(`after ${what} the daemon no longer serves`)
}

export async function abuse(run: ChaosRun, issuer: FakeIssuer): Promise<void> {
  const { opts, figures, broken } = run
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
    await assertServes(broken, daemon, 'malformed frames')

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
    await assertServes(broken, daemon, `${opts.connections} connections`, 5000)

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
    await assertServes(broken, daemon, 'a non-reading client')
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
    await assertServes(broken, daemon, 'idle half-frame connections')

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
    await assertServes(broken, daemon, 'SIGSTOP/SIGCONT')

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
