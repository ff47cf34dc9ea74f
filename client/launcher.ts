import { spawn as nodeSpawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { childEnv } from '../protocol/child-env.js'
import type { DaemonStatus } from '../protocol/methods.js'
import * as paths from '../protocol/paths.js'
import { spawnRunner, type CommandRunner } from './run-command.js'
import { RpcClient } from './rpc/client.js'
import { DaemonNotRunningError } from './rpc/errors.js'
import { installedTarget, managerStart, type ServiceTarget } from './service-manager.js'
import { withSpawnLock } from './spawn-lock.js'

/**
 * Node options the daemon runs with, wherever it is started from (autostart, the service
 * units, `npm start`): V8's young generation capped at 2 MB a semi-space instead of growing
 * to 16 MB during start-up and staying resident. An idle daemon allocates little, so the
 * cap costs no throughput; it saves about 10 MB idle and 25 MB at 1000 accounts
 * (docs/performance.md). `package.json` "start" repeats it (test/build/node-options.test.ts).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2']

/** How to run the daemon from wherever this client runs: sources (tsx) or dist/. */
export function daemonCommand(node: string = process.execPath): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) {
    const root = resolve(dirname(here), '..')
    const tsx = createRequire(import.meta.url).resolve('tsx')
    return {
      command: node,
      args: [...DAEMON_NODE_OPTIONS, '--import', pathToFileURL(tsx).href, join(root, 'daemon', 'main.ts')],
    }
  }
  return { command: node, args: [...DAEMON_NODE_OPTIONS, resolve(dirname(here), '..', 'daemon', 'main.js')] }
}

export async function probeDaemon(socketPath: string): Promise<DaemonStatus | undefined> {
  try {
    const client = await RpcClient.connect({ socketPath, timeoutMs: 5000, skipVersionCheck: true })
    try {
      return await client.call('daemon.status', {})
    } finally {
      client.close()
    }
  } catch (err) {
    if (err instanceof DaemonNotRunningError) return undefined
    throw err
  }
}

/** Nothing answers on a socket that names another machine's daemon; starting one here would be wrong. */
export class RemoteDaemonUnreachableError extends DaemonNotRunningError {
  constructor(socketPath: string) {
    super(socketPath, 'forwarded socket')
    this.message =
      `no opencode-multi-auth daemon answers at ${socketPath} (OPENCODE_MULTI_AUTH_SOCKET), and this machine has no store of its own, ` +
      'so no local daemon is started: reconnect the forwarded socket (e.g. `ssh -R`/`-L` to the machine that holds the accounts), ' +
      'or unset OPENCODE_MULTI_AUTH_SOCKET to run a daemon here.'
  }
}

/** A machine that uses another's daemon: an explicit socket, and no store (nor store folder) here. */
export function usesRemoteDaemon(env: Record<string, string | undefined>, home: string): boolean {
  if (!env.OPENCODE_MULTI_AUTH_SOCKET?.trim()) return false
  const p = { env, home }
  return !existsSync(paths.storeFile(p)) && !existsSync(paths.storeDir(p))
}

export interface StartOptions {
  socketPath: string
  /** Where the daemon's early stderr goes, so a failed start can say why. */
  stderrFile: string
  /** The caller's environment; the daemon gets only childEnv() of it, and the passphrase on stdin. */
  env?: NodeJS.ProcessEnv
  extraArgs?: string[]
  timeoutMs?: number
  /** The node executable; default process.execPath (wrong under Bun, e.g. inside OpenCode). */
  node?: string
  /** An automatic start (plugin, CLI) rather than `daemon start`: never on a machine that uses a remote daemon. */
  auto?: boolean
  /** Seams: the process spawner, the service-manager runner, this OS and user. */
  spawn?: typeof nodeSpawn
  run?: CommandRunner
  platform?: NodeJS.Platform
  uid?: number
}

export interface StartResult {
  status: DaemonStatus
  started: boolean
  /** Who started it: the service manager, or this client. */
  via?: 'systemd' | 'launchd' | 'spawn'
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function waitAnswer(socketPath: string, until: number, gone?: () => boolean): Promise<DaemonStatus | undefined> {
  while (Date.now() < until) {
    const status = await probeDaemon(socketPath)
    if (status) return status
    if (gone?.()) break
    await sleep(50)
  }
  return probeDaemon(socketPath)
}

/** The file naming the daemon a client spawned (so a newer plugin may restart it, and nothing else). */
export function autostartFile(stderrFile: string): string {
  return join(dirname(stderrFile), 'daemon.autostart')
}

/**
 * Starts the daemon and waits until it answers. One start authority: with a
 * service installed the service manager starts it; otherwise it is spawned
 * detached under the spawn lock, so concurrent clients make one daemon.
 */
export async function startDaemon(opts: StartOptions): Promise<StartResult> {
  const running = await probeDaemon(opts.socketPath)
  if (running) return { status: running, started: false }
  const env = opts.env ?? process.env
  const home = env.HOME || homedir()
  const timeoutMs = opts.timeoutMs ?? 15_000
  const target = installedTarget({ env, home, platform: opts.platform ?? process.platform, uid: opts.uid ?? uid() })
  if (target) return startThroughManager(opts, target, env, home, timeoutMs)
  if (opts.auto && usesRemoteDaemon(env, home)) throw new RemoteDaemonUnreachableError(opts.socketPath)
  return withSpawnLock(join(dirname(opts.stderrFile), 'daemon.spawn.lock'), async () => {
    // Whoever held the lock before us may have started it.
    const now = await probeDaemon(opts.socketPath)
    if (now) return { status: now, started: false }
    return spawnDetached(opts, env, home, timeoutMs)
  })
}

function uid(): number {
  return process.getuid?.() ?? 0
}

async function startThroughManager(
  opts: StartOptions,
  target: ServiceTarget,
  env: NodeJS.ProcessEnv,
  home: string,
  timeoutMs: number,
): Promise<StartResult> {
  const run = opts.run ?? spawnRunner(nodeSpawn, childEnv(env), home)
  await managerStart(target, run)
  const status = await waitAnswer(opts.socketPath, Date.now() + timeoutMs)
  if (!status)
    throw new Error(
      `${target.kind} started the service, but nothing answers at ${opts.socketPath} within ${timeoutMs} ms; ` +
        'see `opencode-multi-auth service status` and the service log (journalctl --user -u opencode-multi-auth, or ~/Library/Logs/opencode-multi-auth/)',
    )
  return { status, started: true, via: target.kind }
}

async function spawnDetached(
  opts: StartOptions,
  env: NodeJS.ProcessEnv,
  home: string,
  timeoutMs: number,
): Promise<StartResult> {
  mkdirSync(dirname(opts.stderrFile), { recursive: true, mode: 0o700 })
  const fd = openSync(opts.stderrFile, 'w', 0o600)
  const { command, args } = daemonCommand(opts.node)
  const passphrase = paths.passphrase({ env, home })
  const child = (opts.spawn ?? nodeSpawn)(
    command,
    [...args, ...(passphrase ? ['--passphrase-stdin'] : []), ...(opts.extraArgs ?? [])],
    // A neutral cwd and a minimal environment: a project's NODE_OPTIONS hook must not run in the daemon.
    { detached: true, stdio: [passphrase ? 'pipe' : 'ignore', 'ignore', fd], env: childEnv(env), cwd: home },
  )
  closeSync(fd)
  if (passphrase && child.stdin) {
    child.stdin.on('error', () => {})
    child.stdin.end(`${passphrase}\n`)
  }
  const state: { exitCode: number | null } = { exitCode: null }
  child.once('exit', (code) => (state.exitCode = code ?? 1))
  // A missing executable is an 'error' event, not an exit; unhandled it would crash the caller.
  child.once('error', () => (state.exitCode = state.exitCode ?? 127))
  child.unref()
  if (child.pid) writeFileSync(autostartFile(opts.stderrFile), `${child.pid}\n`, { mode: 0o600 })
  const status = await waitAnswer(opts.socketPath, Date.now() + timeoutMs, () => state.exitCode !== null)
  if (status) return { status, started: status.pid === child.pid, via: 'spawn' }
  let why = ''
  try {
    why = readFileSync(opts.stderrFile, 'utf8').trim().split('\n').slice(-3).join('\n')
  } catch {
    // nothing captured
  }
  const { exitCode } = state
  throw new Error(
    exitCode !== null
      ? `the daemon exited with code ${exitCode} during start${why ? `:\n${why}` : ''}`
      : `the daemon did not answer within ${timeoutMs} ms${why ? `:\n${why}` : ''}`,
  )
}

/** Asks the daemon on this socket to stop and waits until it is gone; false when none answered. */
export async function stopViaSocket(socketPath: string, timeoutMs = 10_000): Promise<boolean> {
  let client: RpcClient
  try {
    client = await RpcClient.connect({ socketPath, timeoutMs: 5000, skipVersionCheck: true })
  } catch (err) {
    if (err instanceof DaemonNotRunningError) return false
    throw err
  }
  try {
    await client.call('daemon.shutdown', {})
  } finally {
    client.close()
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && (await probeDaemon(socketPath))) await sleep(50)
  return true
}

/** The pid a client last spawned, if the stderr file's folder records one. */
export function autostartedPid(stderrFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(autostartFile(stderrFile), 'utf8').trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}
