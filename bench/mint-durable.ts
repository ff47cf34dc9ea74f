/**
 * The one window a crash can cost an account: from the issuer's answer to a
 * refresh (the old refresh token is now spent) until the new pair is fsync'd
 * in the store file. Measured in-process through the real Refresher and store,
 * with an issuer that answers at once, so only our own work is timed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OAuthClient, TokenSet } from '../daemon/auth/oauth-client.js'
import { silentLogger, systemClock } from '../daemon/deps.js'
import { EventBus } from '../daemon/events.js'
import { AccountStore } from '../daemon/store/store.js'
import { Refresher } from '../daemon/tokens/refresher.js'
import { mintTokens } from '../test/fakes/jwt.js'
import { printTable, stats } from './stats.js'

const ROUNDS = 300

async function measure(passphrase: string | undefined, accounts: number): Promise<(string | number)[]> {
  const dir = mkdtempSync(join(tmpdir(), 'oma-bench-mint-'))
  let mintedAt = 0
  const windows: number[] = []
  try {
    const store = await AccountStore.open({
      file: join(dir, 'opencode-multi-auth', 'accounts.json'),
      passphrase,
      logger: silentLogger,
      clock: systemClock,
      onDurable: () => {
        if (mintedAt) windows.push(performance.now() - mintedAt)
        mintedAt = 0
      },
    })
    const identity = (n: number) => ({ email: `m${n}@example.com`, accountId: `acc-${n}`, userId: `u-${n}` })
    await store.update((d) => {
      for (let n = 0; n < accounts; n++) {
        const t = mintTokens(identity(n))
        d.accounts[`m${n}`] = {
          alias: `m${n}`,
          ...t,
          refreshToken: `rt-${n}-0`,
          expiresAt: Date.now() + 3600e3,
          usageCount: 0,
        }
      }
    })
    let seq = 0
    const oauth = {
      refresh: (): Promise<TokenSet> => {
        const set = { ...mintTokens(identity(0)), refreshToken: `rt-0-${++seq}`, expiresAt: Date.now() + 3600e3 }
        mintedAt = performance.now()
        return Promise.resolve(set)
      },
    } as unknown as OAuthClient
    const refresher = new Refresher({
      store,
      oauth,
      bus: new EventBus(systemClock),
      clock: systemClock,
      logger: silentLogger,
    })
    const t0 = performance.now()
    for (let i = 0; i < ROUNDS; i++) await refresher.refresh('m0', 'bench')
    const wall = performance.now() - t0
    await store.close()
    const s = stats(windows, wall)
    return [passphrase ? 'encrypted' : 'plaintext', accounts, s.n, s.p50, s.p99, s.perSec]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(): Promise<void> {
  const rows: (string | number)[][] = []
  for (const pass of [undefined, 'bench passphrase'])
    for (const accounts of [3, 1000]) rows.push(await measure(pass, accounts))
  printTable(
    "Refresh crash window: issuer answer -> new pair fsync'd in the store file (ms; the .bak/.lkg copies come after)",
    ['store', 'accounts', 'refreshes', 'p50 ms', 'p99 ms', 'refreshes/s'],
    rows,
  )
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
