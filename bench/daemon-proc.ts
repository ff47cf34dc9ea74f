import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DAEMON_NODE_OPTIONS, daemonCommand } from '../client/launcher.js'
import { RpcClient } from '../client/rpc/client.js'
import type { TestDirs } from '../test/helpers/daemon.js'
import { pin } from './placement.js'

/**
 * Which daemon the bench measures: $BENCH_DAEMON (a main.js, e.g. another checkout's dist/ for a
 * before/after run), else this checkout's dist/ when built (what a user runs, with the launcher's
 * Node options), else the sources under tsx. `--src` forces the sources.
 */
export function benchDaemonCommand(): { command: string; args: string[]; label: string } {
  // The Node options the launcher and the service units give the daemon; BENCH_NODE_OPTIONS replaces them.
  const own = process.env.BENCH_NODE_OPTIONS
  const options = own === undefined ? DAEMON_NODE_OPTIONS : own.split(' ').filter(Boolean)
  const shown = own === undefined ? '' : ` (node ${own || 'without options'})`
  const env = process.env.BENCH_DAEMON
  // Another checkout's main.js runs as that checkout's users ran it: with BENCH_NODE_OPTIONS only.
  if (env)
    return { command: process.execPath, args: [...(own ? options : []), resolve(env)], label: resolve(env) + shown }
  const dist = resolve(import.meta.dirname, '..', 'dist', 'daemon', 'main.js')
  if (!process.argv.includes('--src') && existsSync(dist))
    return { command: process.execPath, args: [...options, dist], label: 'dist/' + shown }
  return { ...daemonCommand(), label: 'sources (tsx)' }
}

export interface BenchDaemon {
  proc: ChildProcess
  pid: number
  /** Spawn to the first answered daemon.status over the socket. */
  readyMs: number
  connect(): Promise<RpcClient>
  stop(): Promise<void>
}

/** Spawns the daemon and polls its socket (every 2 ms, so start→ready is not rounded up). */
export async function spawnBenchDaemon(dirs: TestDirs, nodeArgs: string[] = []): Promise<BenchDaemon> {
  const { command, args } = benchDaemonCommand()
  const t0 = performance.now()
  const proc = spawn(command, [...nodeArgs, ...args], { env: dirs.env, stdio: ['ignore', 'ignore', 'pipe'] })
  if (proc.pid) pin(proc.pid)
  let err = ''
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (d: string) => (err += d))
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  let dead = false
  void exited.then(() => (dead = true))
  for (;;) {
    if (dead) throw new Error(`daemon exited before it was ready:\n${err}`)
    if (performance.now() - t0 > 30_000) throw new Error(`daemon not ready after 30 s:\n${err}`)
    try {
      const c = await RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 5000, skipVersionCheck: true })
      await c.call('daemon.status', {})
      c.close()
      break
    } catch {
      await new Promise((r) => setTimeout(r, 2))
    }
  }
  const readyMs = performance.now() - t0
  return {
    proc,
    pid: proc.pid as number,
    readyMs,
    connect: () => RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 30_000, skipVersionCheck: true }),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      await exited
    },
  }
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/** utime and stime of a process, in clock ticks (100/s). */
export function cpuTimes(pid: number): { user: number; sys: number } {
  const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')
  return { user: Number(f[11]), sys: Number(f[12]) }
}

export function cpuTicks(pid: number): number {
  const { user, sys } = cpuTimes(pid)
  return user + sys
}

/** Context switches of every thread of `pid`: each is a wake-up (or a preemption, rare when idle). */
export function wakeups(pid: number): number {
  let n = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(join(`/proc/${pid}/task`, tid, 'status'), 'utf8')
      n += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1] ?? 0)
      n += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0)
    } catch {
      // a thread that ended between readdir and read
    }
  }
  return n
}

/** Idle wake-ups per minute and CPU % over `ms` of doing nothing. */
export async function idleProfile(pid: number, ms: number): Promise<{ perMin: number; cpuPct: number }> {
  const w0 = wakeups(pid)
  const c0 = cpuTicks(pid)
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, ms))
  const dt = performance.now() - t0
  return { perMin: ((wakeups(pid) - w0) / dt) * 60_000, cpuPct: ((cpuTicks(pid) - c0) / 100 / (dt / 1000)) * 100 }
}
