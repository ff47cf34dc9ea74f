import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { addAccount } from '../helpers/accounts.js'
import { useIssuerApp } from '../helpers/issuer-app.js'

describe('refresh single-flight and durability (docs/architecture.md#invariants, 1 and 2)', () => {
  const fx = useIssuerApp()

  it('100 concurrent token.get on an expired account cause exactly one token-endpoint call', async () => {
    const { t, issuer } = fx
    const a = await addAccount(t.client, issuer, 1, 1) // expires within the 60 s minimum
    issuer.setDelay(100) // keep the refresh in flight while every caller arrives
    const clients = await Promise.all(Array.from({ length: 10 }, () => t.connect()))
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => clients[i % clients.length].call('token.get', {})),
    )
    for (const c of clients) c.close()

    expect(issuer.refreshCalls).toBe(1)
    expect(issuer.reuseDetected).toBe(0)
    const tokens = new Set(results.map((r) => r.accessToken))
    expect(tokens.size).toBe(1)
    expect(results[0].alias).toBe(a.alias)
    expect(results[0].accessToken).not.toBe(a.tokens.accessToken)
    expect(results[0].expiresAt - Date.now()).toBeGreaterThan(60_000)
  })

  it('a refreshed pair is on disk before any client receives it', async () => {
    const { t, issuer } = fx
    issuer.accessTokenTtlS = 30 // every minted token is inside the 60 s window: each get refreshes
    const a = await addAccount(t.client, issuer, 2, 1)
    for (let round = 0; round < 15; round++) {
      const got = await t.client.call('token.get', {})
      // Read synchronously the moment the answer arrives: nothing else can run first.
      const onDisk = JSON.parse(readFileSync(t.dirs.storeFile, 'utf8')) as {
        accounts: Record<string, { accessToken: string; refreshToken: string }>
      }
      expect(onDisk.accounts[a.alias].accessToken).toBe(got.accessToken)
      expect(onDisk.accounts[a.alias].refreshToken).toBe(issuer.latestRefreshToken(a.tokens.family))
    }
    expect(issuer.refreshCalls).toBe(15)
    expect(issuer.reuseDetected).toBe(0)
  })

  it('a valid token is served without calling the issuer', async () => {
    const { t, issuer } = fx
    await addAccount(t.client, issuer, 3) // ten days of life
    for (let i = 0; i < 20; i++) await t.client.call('token.get', {})
    expect(issuer.refreshCalls).toBe(0)
  })
})
