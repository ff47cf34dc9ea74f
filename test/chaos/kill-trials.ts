/**
 * The kill -9 phase of `npm run chaos`: SIGKILL at random moments under token.get load with
 * short-lived tokens; after each kill the store must load with every account, and the daemon
 * must never have presented a spent refresh token.
 */
import { rmSync } from 'node:fs'
import { silentLogger, systemClock } from '../../daemon/deps.js'
import { AccountStore } from '../../daemon/store/store.js'
import type { FakeIssuer } from '../fakes/issuer.js'
import { cleanup, makeDirs, startDaemon, type TestDirs } from '../helpers/daemon.js'
import type { ChaosRun } from './run.js'

const ACCOUNTS = 3

const identity = (n: number, gen: number) => ({
  email: `chaos${n}@example.com`,
  accountId: `acc-chaos-${n}`,
  userId: `user-chaos-${n}-${gen}`,
})

/** The store as the next start would see it (the daemon is dead; no lock needed). */
async function openStore(dirs: TestDirs): Promise<AccountStore> {
  return AccountStore.open({ file: dirs.storeFile, logger: silentLogger, clock: systemClock, lock: false })
}

async function seed(dirs: TestDirs, issuer: FakeIssuer, which: number[], gen: number): Promise<void> {
  const store = await openStore(dirs)
  await store.update((d) => {
    for (const n of which) {
      const t = issuer.addAccount(identity(n, gen), { expiresInS: 30 })
      d.accounts[`c${n}`] = {
        alias: `c${n}`,
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        idToken: t.idToken,
        expiresAt: Date.now() + 30_000,
        usageCount: 0,
        enabled: true,
        accountId: `acc-chaos-${n}`,
        userId: `user-chaos-${n}-${gen}`,
        email: `chaos${n}@example.com`,
      }
    }
  })
  await store.close()
}

export async function killTrials(run: ChaosRun, issuer: FakeIssuer): Promise<void> {
  const { opts, figures, broken, say } = run
  const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
  let lost = 0
  let storeFailures = 0
  let missing = 0
  let refreshes = 0
  let gen = 0
  const t0 = Date.now()
  try {
    await seed(dirs, issuer, [0, 1, 2], gen)
    for (let trial = 0; trial < opts.trials; trial++) {
      const reuseBefore = issuer.reuseDetected
      const refreshBefore = issuer.refreshCalls
      const daemon = await startDaemon(dirs)
      const clients = await Promise.all(Array.from({ length: 4 }, () => daemon.connect()))
      let stop = false
      const load = clients.map(async (c) => {
        while (!stop) await c.call('token.get', {}, { timeoutMs: 5000 }).catch(() => (stop = true))
      })
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400))
      daemon.proc.kill('SIGKILL')
      await daemon.exited
      stop = true
      await Promise.all(load)
      for (const c of clients) c.close()
      refreshes += issuer.refreshCalls - refreshBefore
      // What a restart does after a second; skipped here to save the wait.
      rmSync(`${dirs.storeFile}.lock`, { recursive: true, force: true })
      // The daemon presented a spent token only if it had one to present: checked below.
      const presented = issuer.reuseDetected - reuseBefore
      if (presented > 0) broken.push(`trial ${trial}: the daemon presented ${presented} spent refresh token(s)`)
      let store: AccountStore
      try {
        store = await openStore(dirs)
      } catch (err) {
        storeFailures++
        broken.push(`trial ${trial}: the store did not load: ${(err as Error).message}`)
        break
      }
      const gone: number[] = []
      for (let n = 0; n < ACCOUNTS; n++) {
        const a = store.data.accounts[`c${n}`]
        if (!a) {
          missing++
          gone.push(n)
        } else if (issuer.isSpent(a.refreshToken) || a.authInvalid) {
          // The issuer rotated, the new pair died with the process before its fsync.
          lost++
          gone.push(n)
        }
      }
      await store.close()
      if (gone.length) await seed(dirs, issuer, gone, ++gen)
    }
  } finally {
    cleanup(dirs)
  }
  const per1000 = opts.trials ? (lost / opts.trials) * 1000 : 0
  Object.assign(figures, {
    killTrials: opts.trials,
    killRefreshes: refreshes,
    killAccountsLost: lost,
    killAccountsLostPer1000: Number(per1000.toFixed(2)),
    killAccountsMissing: missing,
    killStoreLoadFailures: storeFailures,
    killSeconds: Math.round((Date.now() - t0) / 1000),
  })
  if (missing) broken.push(`${missing} account(s) missing from the store after a kill -9`)
  say(
    `kill -9: ${opts.trials} trials, ${refreshes} refreshes, store loaded every time: ${storeFailures === 0}, ` +
      `accounts missing ${missing}, accounts lost (rotated pair died before its fsync) ${lost} = ${per1000.toFixed(2)} per 1000 crashes`,
  )
}
