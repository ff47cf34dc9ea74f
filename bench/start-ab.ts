/**
 * Start→ready and idle RSS of several daemon builds, side by side: `rounds` starts of each,
 * alternated (A B C A B C …) so that whatever else the shared machine does falls on all of them
 * alike, then the median and range of each. A build is a main.js, optionally with Node options:
 *
 *   npx tsx bench/start-ab.ts [--rounds 8] [--accounts 3] -- /base/dist/daemon/main.js \
 *     "dist/daemon/main.js" "--max-semi-space-size=4 dist/daemon/main.js"
 *
 * BENCH_CPUS pins as for `npm run bench` (`none`: unpinned). Each build's Node options are the
 * ones given (none by default), not the launcher's.
 */
import { parseArgs } from 'node:util'
import { startFakeIssuer } from '../test/fakes/issuer.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { cpuTicks, rssMb, spawnBenchDaemon } from './daemon-proc.js'
import { placementLabel } from './placement.js'
import { seedStore } from './scale-bench.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '8' }, accounts: { type: 'string', default: '3' } },
})
const rounds = Number(values.rounds)
const accounts = Number(values.accounts)

interface Sample {
  readyMs: number
  /** CPU time (user + system, 10 ms ticks) the daemon had used when it first answered: what load on a shared machine does not stretch. */
  cpuMs: number
  rss: number
}

async function once(spec: string): Promise<Sample> {
  const words = spec.split(' ').filter(Boolean)
  const main = words.pop() ?? ''
  process.env.BENCH_DAEMON = main
  process.env.BENCH_NODE_OPTIONS = words.join(' ')
  const issuer = await startFakeIssuer()
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  try {
    seedStore(dirs.storeFile, issuer, accounts)
    const daemon = await spawnBenchDaemon(dirs)
    const cpuMs = cpuTicks(daemon.pid) * 10
    try {
      // As the scale bench: start-up work settles before the RSS counts as idle.
      await new Promise((r) => setTimeout(r, 1500))
      return { readyMs: daemon.readyMs, cpuMs, rss: rssMb(daemon.pid) }
    } finally {
      await daemon.stop()
    }
  } finally {
    await issuer.close()
    cleanup(dirs)
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2
}

const samples = new Map<string, Sample[]>(positionals.map((p) => [p, []]))
for (let r = 0; r < rounds; r++) for (const spec of positionals) samples.get(spec)?.push(await once(spec))

console.log(
  `start→ready (median, range), the daemon's CPU time by then, idle RSS; ${accounts} accounts, ${rounds} alternated starts each, ${placementLabel()}`,
)
for (const [spec, s] of samples) {
  const ready = s.map((x) => x.readyMs)
  const rss = s.map((x) => x.rss)
  const cpu = s.map((x) => x.cpuMs)
  const range = (xs: number[], d: number) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`
  console.log(
    `ready ${median(ready).toFixed(0).padStart(4)} ms (${range(ready, 0)})  CPU ${median(cpu).toFixed(0).padStart(4)} ms (${range(cpu, 0)})  ` +
      `RSS ${median(rss).toFixed(1)} MB (${range(rss, 1)})  ${spec}`,
  )
}
