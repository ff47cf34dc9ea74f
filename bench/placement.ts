import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

/**
 * CPU placement for the bench. Left to the scheduler, a request's round trip depends on whether
 * the two processes land on one core or two and how often they migrate, and that differs from one
 * process to the next: measured here, the bare echo floor alone swung between 26 and 92 µs p50 and
 * the daemon's ratio to it between 1.1× and 3×, with the code unchanged. So the bench process and
 * every server it measures (the daemon, the echo floor) share one placement: `BENCH_CPUS` (a
 * taskset list, default the last CPU; `none` leaves placement to the scheduler). Linux only, and
 * only where util-linux's `taskset` exists; elsewhere nothing is pinned and the label says so.
 */
const requested = process.env.BENCH_CPUS ?? String(availableParallelism() - 1)
let available: boolean | undefined
let selfPinned = false

function taskset(pid: number): boolean {
  if (requested === 'none' || process.platform !== 'linux') return false
  if (available === false) return false
  try {
    execFileSync('taskset', ['-a', '-p', '-c', requested, String(pid)], { stdio: 'ignore' })
    available = true
  } catch {
    available = false
  }
  return available
}

/** Pins `pid` (every thread) and this bench process to the bench's CPUs; false when nothing is pinned. */
export function pin(pid: number): boolean {
  if (!selfPinned) selfPinned = taskset(process.pid)
  return selfPinned && taskset(pid)
}

/** For table titles: where the client and the server ran. */
export function placementLabel(): string {
  if (requested === 'none' || available === false || process.platform !== 'linux') return 'unpinned'
  return `client and server pinned to CPU ${requested}`
}
