/**
 * `npm run bench:profile [-- --accounts N --calls N --clients N --method token.get|accounts.add]`: runs the daemon
 * under `node --cpu-prof` over a store of N accounts, makes the calls, stops it, and prints where
 * the daemon's CPU time went (self time by function, then by file). The .cpuprofile is kept for
 * Chrome DevTools.
 */
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startFakeIssuer } from '../test/fakes/issuer.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { spawnBenchDaemon } from './daemon-proc.js'
import { seedStore } from './scale-bench.js'
import { load, printTable } from './stats.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000' },
    calls: { type: 'string', default: '5000' },
    method: { type: 'string', default: 'token.get' },
    clients: { type: 'string', default: '1' },
    src: { type: 'boolean' },
  },
})
const n = Number(values.accounts)
const calls = Number(values.calls)
const clientCount = Number(values.clients)
const outDir = mkdtempSync(join(tmpdir(), 'oma-prof-'))
const issuer = await startFakeIssuer()
const dirs = makeDirs({
  OPENCODE_MULTI_AUTH_ISSUER: issuer.url,
  OPENCODE_MULTI_AUTH_LOG_LEVEL: 'info',
})
try {
  seedStore(dirs.storeFile, issuer, n)
  const daemon = await spawnBenchDaemon(dirs, ['--cpu-prof', `--cpu-prof-dir=${outDir}`])
  const cs = await Promise.all(Array.from({ length: clientCount }, () => daemon.connect()))
  const c = cs[0]
  let k = 0
  const call =
    values.method === 'accounts.add'
      ? () => {
          const t = issuer.addAccount({ email: `p${k}@x.io`, accountId: `pa${k}`, userId: `pu${k++}` })
          return c.call('accounts.add', {
            accessToken: t.accessToken,
            refreshToken: t.refreshToken,
            idToken: t.idToken,
          })
        }
      : (i: number) => (cs[i] ?? c).call('token.get', {})
  const s = await load(clientCount, Math.ceil(calls / clientCount), call)
  for (const x of cs) x.close()
  await daemon.stop()
  console.log(
    `${values.method} x${calls} over ${n} accounts, ${clientCount} client(s): p50 ${s.p50.toFixed(3)} ms (profiling slows it)`,
  )
  const file = readdirSync(outDir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no profile in ${outDir}`)
  const prof = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as { nodes: ProfileNode[] }
  const total = prof.nodes.reduce((t, x) => t + (x.hitCount ?? 0), 0)
  const byFn = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const node of prof.nodes) {
    const f = node.callFrame
    const where = f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/') || '(native)'
    const fn = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + (node.hitCount ?? 0))
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(where)?.[1]
    const key = pkg ?? (where.startsWith('dist/') ? where : f.functionName || where)
    byFile.set(key, (byFile.get(key) ?? 0) + (node.hitCount ?? 0))
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, hits]) => [name, (hits / total) * 100])
  printTable('Self time by function (% of samples)', ['function', '%'], top(byFn, 25))
  printTable('Self time by file / package (% of samples)', ['where', '%'], top(byFile, 20))
  console.log(`\nprofile: ${join(outDir, file)}`)
} finally {
  await issuer.close()
  cleanup(dirs)
}
