import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { daemonCommand } from '../../client/launcher.js'
import { RpcClient } from '../../client/rpc/client.js'

export interface TestDirs {
  root: string
  home: string
  env: Record<string, string>
  socketPath: string
  storeFile: string
  codexAuthFile: string
  logFile: string
}

/** A private HOME/XDG tree; every path the daemon would touch lives inside it. */
export function makeDirs(extraEnv: Record<string, string> = {}): TestDirs {
  const root = mkdtempSync(join(tmpdir(), 'oma-'))
  const home = join(root, 'home')
  mkdirSync(home, { recursive: true })
  const socketPath = join(root, 'run', 'd.sock')
  const storeFile = join(home, '.config', 'opencode-multi-auth', 'accounts.json')
  const codexAuthFile = join(home, '.codex', 'auth.json')
  const logFile = join(root, 'state', 'daemon.log')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(root, 'state'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    CODEX_HOME: join(home, '.codex'),
    OPENCODE_MULTI_AUTH_SOCKET: socketPath,
    OPENCODE_MULTI_AUTH_LOG_FILE: logFile,
    OPENCODE_MULTI_AUTH_LOG_LEVEL: 'debug',
    // Nothing in a test may reach OpenAI: unroutable defaults unless a fake is given.
    OPENCODE_MULTI_AUTH_ISSUER: 'http://127.0.0.1:9',
    OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: 'http://127.0.0.1:9/backend-api',
    NO_COLOR: '1',
    ...extraEnv,
  }
  return { root, home, env, socketPath, storeFile, codexAuthFile, logFile }
}

export interface SpawnedDaemon {
  proc: ChildProcess
  dirs: TestDirs
  stderr(): string
  exited: Promise<number | null>
  connect(): Promise<RpcClient>
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>
}

export function spawnDaemonProcess(
  dirs: TestDirs,
  args: string[] = [],
): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const { command, args: base } = daemonCommand()
  const proc = spawn(command, [...base, ...args], { env: dirs.env, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (d: string) => (err += d))
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return { proc, stderr: () => err, exited }
}

/** Resolves once the daemon answers daemon.status over its socket; rejects if it exits first. */
export async function waitReady(
  socketPath: string,
  exited: Promise<number | null>,
  stderr: () => string,
  timeoutMs = 20_000,
): Promise<void> {
  let dead = false
  void exited.then(() => (dead = true))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (dead) throw new Error(`daemon exited before it was ready:\n${stderr()}`)
    try {
      const c = await RpcClient.connect({ socketPath, timeoutMs: 2000 })
      c.close()
      return
    } catch {
      await new Promise((r) => setTimeout(r, 25))
    }
  }
  throw new Error(`daemon not ready after ${timeoutMs} ms:\n${stderr()}`)
}

export async function startDaemon(dirs: TestDirs = makeDirs(), args: string[] = []): Promise<SpawnedDaemon> {
  const { proc, stderr, exited } = spawnDaemonProcess(dirs, args)
  await waitReady(dirs.socketPath, exited, stderr)
  return {
    proc,
    dirs,
    stderr,
    exited,
    connect: () => RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 10_000 }),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      return exited
    },
  }
}

export function cleanup(dirs: TestDirs): void {
  rmSync(dirs.root, { recursive: true, force: true })
}
