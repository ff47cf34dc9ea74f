import { spawn } from 'node:child_process'
import { mkdirSync, openSync, closeSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { RpcClient } from './rpc/client.js'
import { DaemonNotRunningError } from './rpc/errors.js'
import type { DaemonStatus } from '../protocol/methods.js'

/** How to run the daemon from wherever this client runs: sources (tsx) or dist/. */
export function daemonCommand(node: string = process.execPath): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) {
    const root = resolve(dirname(here), '..')
    const tsx = createRequire(import.meta.url).resolve('tsx')
    return { command: node, args: ['--import', pathToFileURL(tsx).href, join(root, 'daemon', 'main.ts')] }
  }
  return { command: node, args: [resolve(dirname(here), '..', 'daemon', 'main.js')] }
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

export interface StartOptions {
  socketPath: string
  /** Where the daemon's early stderr goes, so a failed start can say why. */
  stderrFile: string
  env?: NodeJS.ProcessEnv
  extraArgs?: string[]
  timeoutMs?: number
  /** The node executable; default process.execPath (wrong under Bun, e.g. inside OpenCode). */
  node?: string
}

export interface StartResult {
  status: DaemonStatus
  started: boolean
}

/**
 * Starts the daemon detached and waits until it answers over RPC. Never starts
 * a second one: an answering daemon is reported as is, and a daemon that lost
 * the race for the store lock exits while the winner answers.
 */
export async function startDaemon(opts: StartOptions): Promise<StartResult> {
  const running = await probeDaemon(opts.socketPath)
  if (running) return { status: running, started: false }
  mkdirSync(dirname(opts.stderrFile), { recursive: true, mode: 0o700 })
  const fd = openSync(opts.stderrFile, 'w', 0o600)
  const { command, args } = daemonCommand(opts.node)
  const child = spawn(command, [...args, ...(opts.extraArgs ?? [])], {
    detached: true,
    stdio: ['ignore', 'ignore', fd],
    env: opts.env ?? process.env,
  })
  closeSync(fd)
  // Set by the child's callbacks; the cast keeps TS from narrowing it to null for good.
  let exitCode = null as number | null
  child.once('exit', (code) => (exitCode = code ?? 1))
  // A missing executable is an 'error' event, not an exit; unhandled it would crash the caller.
  child.once('error', () => (exitCode = exitCode ?? 127))
  child.unref()
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000)
  while (Date.now() < deadline) {
    const status = await probeDaemon(opts.socketPath)
    if (status) return { status, started: status.pid === child.pid }
    if (exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const status = await probeDaemon(opts.socketPath)
  if (status) return { status, started: false }
  let why = ''
  try {
    why = readFileSync(opts.stderrFile, 'utf8').trim().split('\n').slice(-3).join('\n')
  } catch {
    // nothing captured
  }
  throw new Error(
    exitCode !== null
      ? `the daemon exited with code ${exitCode} during start${why ? `:\n${why}` : ''}`
      : `the daemon did not answer within ${opts.timeoutMs ?? 15_000} ms${why ? `:\n${why}` : ''}`,
  )
}
