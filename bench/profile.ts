/**
 * `npm run bench:profile [-- --accounts N --calls N --clients N --method token.get|accounts.add]`: runs the daemon
 * under `node --cpu-prof` over a store of N accounts, makes the calls, stops it, and prints where
 * the daemon's CPU time went (self time by function, then by file). The .cpuprofile is kept for
 * Chrome DevTools.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startFakeIssuer } from '../test/fakes/issuer.js'
import { cleanup, makeDirs } from '../test/helpers/daemon.js'
import { spawnBenchDaemon } from './daemon-proc.js'
import { seedStore } from './scale-bench.js'
import { load } from './stats.js'
import { printProfile } from './cpuprofile.js'

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
  printProfile(outDir, { functions: 25, files: 20 })
} finally {
  await issuer.close()
  cleanup(dirs)
}
