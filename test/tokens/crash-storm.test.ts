import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RpcClient } from '../../client/rpc/client.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { addAccount } from '../helpers/accounts.js'

const ACCOUNTS = 4
const TRIALS = 20

/** Spins refreshes on every account until the connection dies under it. */
async function storm(client: RpcClient, aliases: string[], worker: number): Promise<void> {
  for (let i = worker; ; i++) {
    try {
      await client.call('accounts.refresh', { alias: aliases[i % aliases.length] })
    } catch {
      return
    }
  }
}

describe('kill -9 during a refresh storm never leaves a silently spent token', () => {
  let issuer: FakeIssuer
  let dirs: TestDirs
  let daemon: SpawnedDaemon | undefined

  afterAll(async () => {
    if (daemon) await daemon.stop()
    await issuer?.close()
    if (dirs) cleanup(dirs)
  })

  it(`${TRIALS} trials: each account holds the issuer's latest token, or is marked for re-login`, async () => {
    // Tokens live 90 s and keep-alive acts 60 s ahead: the storm refreshes on demand,
    // and keep-alive stays quiet while the store is inspected after each restart.
    issuer = await startFakeIssuer({ accessTokenTtlS: 90 })
    dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_LOG_LEVEL: 'warn' })
    mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
    writeFileSync(dirs.storeFile, JSON.stringify({ version: 2, accounts: {}, settings: { refreshAheadMs: 60_000 } }), {
      mode: 0o600,
    })
    daemon = await startDaemon(dirs)
    const emails = new Map<string, string>()
    let client = await daemon.connect()
    for (let n = 1; n <= ACCOUNTS; n++) {
      const v = await addAccount(client, issuer, n)
      emails.set(v.alias, v.identity.email)
    }
    const aliases = [...emails.keys()]
    let lost = 0
    let refreshesSeen = 0

    for (let trial = 0; trial < TRIALS; trial++) {
      const workers = await Promise.all([0, 1, 2].map(() => daemon!.connect()))
      const before = issuer.refreshCalls
      const running = workers.map((w, i) => storm(w, aliases, i))
      // Let the storm get going, then kill at a random point of it.
      const target = before + 2 + Math.floor(Math.random() * 12)
      while (issuer.refreshCalls < target) await new Promise((r) => setTimeout(r, 1 + Math.random() * 4))
      daemon.proc.kill('SIGKILL')
      await daemon.exited
      await Promise.all(running)
      for (const w of workers) w.close()
      client.close()
      refreshesSeen += issuer.refreshCalls - before

      daemon = await startDaemon(dirs)
      client = await daemon.connect()
      const stored = JSON.parse(readFileSync(dirs.storeFile, 'utf8')) as {
        accounts: Record<string, { refreshToken: string }>
      }
      const { accounts } = await client.call('accounts.list', {})
      for (const view of accounts) {
        const rt = stored.accounts[view.alias].refreshToken
        const family = issuer.familyOf(rt)!
        const latest = !issuer.revoked(family) && issuer.latestRefreshToken(family) === rt
        if (view.health === 'auth_invalid') lost++
        else expect(latest, `trial ${trial}: ${view.alias} is ${view.health} on a spent or revoked token`).toBe(true)
      }
      // Sign the lost ones in again, as the user would.
      for (const view of accounts.filter((a) => a.health === 'auth_invalid')) {
        const n = Number(emails.get(view.alias)!.match(/\d+/)![0])
        await addAccount(client, issuer, n)
      }
    }
    // The storm really was a storm, and crashes mid-refresh did happen.
    expect(refreshesSeen).toBeGreaterThan(TRIALS * 2)
    console.log(
      `crash storm: ${TRIALS} kills, ${refreshesSeen} refreshes, ${lost} account(s) needed re-login, reuse seen by issuer: ${issuer.reuseDetected}`,
    )
  }, 120_000)
})
