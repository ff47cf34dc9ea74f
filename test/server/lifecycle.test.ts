/**
 * The real daemon, spawned with private HOME/XDG dirs: what it answers, how
 * its socket is protected, how it refuses a second copy of itself, how it
 * handles SIGHUP and SIGTERM (docs/architecture.md#invariants, 7 and 12).
 */
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RpcClient } from '../../client/rpc/client.js'
import { MAX_SOCKET_PATH_BYTES } from '../../protocol/paths.js'
import { PROTOCOL_VERSION } from '../../protocol/version.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import {
  cleanup,
  makeDirs,
  spawnDaemonProcess,
  startDaemon,
  type SpawnedDaemon,
  type TestDirs,
} from '../helpers/daemon.js'
import { until } from './raw.js'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

const mode = (path: string): number => statSync(path).mode & 0o777

/** Resolves with the connect error code, or 'connected'. */
function tryConnect(path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
  })
}

const cleanups: (() => void | Promise<unknown>)[] = []
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

describe('spawned daemon', () => {
  let dirs: TestDirs
  let daemon: SpawnedDaemon
  let client: RpcClient
  let issuer: FakeIssuer
  const startedBefore = Date.now()

  beforeAll(async () => {
    issuer = await startFakeIssuer()
    cleanups.push(() => issuer.close())
    dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url })
    cleanups.push(() => cleanup(dirs))
    // The socket directory does not exist yet: the daemon creates it, private.
    expect(existsSync(join(dirs.root, 'run'))).toBe(false)
    daemon = await startDaemon(dirs)
    cleanups.push(() => daemon.stop())
    client = await daemon.connect()
    cleanups.push(() => client.close())
  })

  it('answers daemon.status with who and where it is', async () => {
    const s = await client.call('daemon.status', {})
    expect(s).toMatchObject({
      version: pkg.version,
      protocolVersion: PROTOCOL_VERSION,
      pid: daemon.proc.pid,
      socketPath: dirs.socketPath,
      storePath: dirs.storeFile,
      codexAuthPath: dirs.codexAuthFile,
      logPath: dirs.logFile,
      encrypted: false,
      accountCount: 0,
      strategy: 'round-robin',
      activeAlias: null,
      force: { active: false },
    })
    expect(s.startedAt).toBeGreaterThanOrEqual(startedBefore - 1000)
    expect(s.startedAt).toBeLessThanOrEqual(Date.now())
  })

  it('serves a 0600 socket from the 0700 directory it created', () => {
    expect(statSync(dirs.socketPath).isSocket()).toBe(true)
    expect(mode(dirs.socketPath)).toBe(0o600)
    expect(mode(join(dirs.root, 'run'))).toBe(0o700)
    expect(mode(dirs.logFile)).toBe(0o600)
  })

  it("makes a second daemon exit non-zero at once, naming the first one's pid", async () => {
    const t0 = Date.now()
    const second = spawnDaemonProcess(dirs)
    cleanups.push(() => void second.proc.kill('SIGKILL'))
    const code = await second.exited
    expect(code).not.toBe(0)
    expect(code).not.toBeNull()
    expect(second.stderr()).toContain(`pid ${daemon.proc.pid}`)
    // Refused at once, not after waiting out a lock it can never get (15 retries of 1 s).
    expect(Date.now() - t0).toBeLessThan(10_000)
    // The first one is untouched and still owns the socket.
    expect((await client.call('daemon.status', {})).pid).toBe(daemon.proc.pid)
    expect(existsSync(dirs.socketPath)).toBe(true)
  })

  it('reopens its log file on SIGHUP', async () => {
    const tokens = issuer.addAccount({ email: 'hup@example.com', accountId: 'acc-hup', userId: 'user-hup' })
    await client.call('accounts.add', {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      refreshToken: tokens.refreshToken,
      alias: 'hup',
    })
    const moved = `${dirs.logFile}.1`
    renameSync(dirs.logFile, moved)
    daemon.proc.kill('SIGHUP')
    // The new file appears once the daemon reopened it.
    await until(() => existsSync(dirs.logFile), 'a new log file after SIGHUP')
    expect(mode(dirs.logFile)).toBe(0o600)
    // A line logged now lands in the new file, not in the one logrotate moved away.
    await client.call('accounts.refresh', { alias: 'hup' })
    const refreshLine = (text: string): boolean =>
      text.split('\n').some((l) => l.includes('refreshing tokens') && l.includes('"alias":"hup"'))
    await until(() => refreshLine(readFileSync(dirs.logFile, 'utf8')), 'the next log line in the new file')
    expect(readFileSync(moved, 'utf8')).not.toMatch(/refreshing tokens/)
    expect(daemon.proc.exitCode).toBeNull()
  })

  it('on SIGTERM stops accepting, still answers the call in flight, then exits 0 and removes its socket', async () => {
    const tokens = issuer.addAccount({ email: 'term@example.com', accountId: 'acc-term', userId: 'user-term' })
    await client.call('accounts.add', {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      refreshToken: tokens.refreshToken,
      alias: 'term',
    })
    // The token endpoint will take 3 s: long enough to send SIGTERM in the middle of the call.
    issuer.failNext(1, 'slow', { delayMs: 3000 })
    const before = issuer.refreshCalls
    let settled = false
    const inFlight = client.call('accounts.refresh', { alias: 'term' }).finally(() => (settled = true))
    await until(() => issuer.refreshCalls > before, 'the refresh to reach the issuer')

    daemon.proc.kill('SIGTERM')
    // New connections are refused while the old call is still running...
    await until(async () => (await tryConnect(dirs.socketPath)) !== 'connected', 'the daemon to stop accepting')
    expect(settled).toBe(false)
    // ...and that call gets its real answer.
    const result = await inFlight
    expect(result.results).toEqual([{ alias: 'term', ok: true }])
    expect(await daemon.exited).toBe(0)
    expect(existsSync(dirs.socketPath)).toBe(false)
    // What the call did is durable: the rotated refresh token is in the store file.
    const stored = JSON.parse(readFileSync(dirs.storeFile, 'utf8')) as {
      accounts: Record<string, { refreshToken: string }>
    }
    expect(stored.accounts.term.refreshToken).toBe(issuer.latestRefreshToken('term@example.com'))
    expect(issuer.reuseDetected).toBe(0)
    expect(daemon.stderr()).toMatch(/daemon stopped/)
  })
})

describe('socket path checks', () => {
  it(`refuses a socket path over ${MAX_SOCKET_PATH_BYTES} bytes with a message saying what to do`, async () => {
    const probe = makeDirs()
    cleanups.push(() => cleanup(probe))
    const dir = join(probe.root, 'r')
    const long = join(dir, 's'.repeat(MAX_SOCKET_PATH_BYTES + 1 - dir.length - 1))
    expect(Buffer.byteLength(long)).toBe(MAX_SOCKET_PATH_BYTES + 1)
    const dirs = { ...probe, socketPath: long, env: { ...probe.env, OPENCODE_MULTI_AUTH_SOCKET: long } }
    const d = spawnDaemonProcess(dirs)
    cleanups.push(() => void d.proc.kill('SIGKILL'))
    expect(await d.exited).toBe(1)
    expect(d.stderr()).toContain(`over the ${MAX_SOCKET_PATH_BYTES}-byte limit`)
    expect(d.stderr()).toContain('OPENCODE_MULTI_AUTH_SOCKET')
    expect(d.stderr()).toContain(long)
    // Nothing listens at the path Node would have truncated it to.
    expect(existsSync(long.slice(0, 107))).toBe(false)
    expect(existsSync(long)).toBe(false)
  })

  // Only root can hand a directory to another uid; as anyone else this case cannot be set up.
  it.skipIf(process.getuid?.() !== 0)('refuses a socket directory that belongs to another uid', async () => {
    const dirs = makeDirs()
    cleanups.push(() => cleanup(dirs))
    const runDir = join(dirs.root, 'run')
    mkdirSync(runDir, { mode: 0o700 })
    chownSync(runDir, 65534, 65534)
    const d = spawnDaemonProcess(dirs)
    cleanups.push(() => void d.proc.kill('SIGKILL'))
    expect(await d.exited).toBe(1)
    expect(d.stderr()).toContain(`socket directory ${runDir} belongs to uid 65534`)
    expect(existsSync(dirs.socketPath)).toBe(false)
    // Left as it was: not taken over, not loosened.
    expect(statSync(runDir).uid).toBe(65534)
    expect(mode(runDir)).toBe(0o700)
  })
})
