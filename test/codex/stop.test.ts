/** A stop during a refresh of the account auth.json holds still writes the new pair there. */
import { describe, expect, it } from 'vitest'
import { startIssuerApp } from '../helpers/issuer-app.js'
import { alice, authJsonFor, readJson, until, writeInPlace } from './helpers.js'

describe('stopping the daemon mid-refresh', () => {
  it('finishes the refresh, then writes the pair back to auth.json before it lets go', async () => {
    const pair = await startIssuerApp()
    const { app, issuer } = pair
    try {
      const file = app.dirs.codexAuthFile
      writeInPlace(file, authJsonFor(issuer.addAccount(alice)))
      await until(() => app.app.components.store.data.accounts.alice, 'adoption')
      issuer.setDelay(400)
      const refreshing = app.client.call('accounts.refresh', { alias: 'alice' }).catch(() => undefined)
      await until(() => issuer.calls.some((c) => c.grant_type === 'refresh_token'), 'the refresh reaching the issuer')
      await app.app.stop() // what SIGTERM does
      await refreshing
      const latest = issuer.latestRefreshToken(alice.email)
      // Codex, started after us, must not find the token we spent.
      expect(readJson(file).tokens.refresh_token).toBe(latest)
      expect(issuer.isSpent(latest)).toBe(false)
    } finally {
      await pair.close()
    }
  })
})
