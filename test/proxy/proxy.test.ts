/**
 * The daemon's outbound calls through a proxy: a real daemon, HTTPS_PROXY (or
 * the `proxy` setting) pointing at a loopback CONNECT proxy, in front of the
 * fake issuer over TLS with a test CA the daemon trusts via NODE_EXTRA_CA_CERTS.
 * Node 20's own fetch ignores HTTPS_PROXY, so without the proxy agent nothing
 * would reach the proxy.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startConnectProxy, type ConnectProxy } from '../fakes/connect-proxy.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import { HAS_OPENSSL, makeTestCa, type TestCa } from '../fakes/tls.js'
import { addAccount } from '../helpers/accounts.js'
import { cleanup, makeDirs, startDaemon, type TestDirs } from '../helpers/daemon.js'

describe.skipIf(!HAS_OPENSSL)('outbound calls behind a proxy', () => {
  let caDir: string
  let ca: TestCa
  let issuer: FakeIssuer
  let proxy: ConnectProxy
  const all: TestDirs[] = []

  beforeAll(async () => {
    caDir = mkdtempSync(join(tmpdir(), 'oma-ca-'))
    ca = makeTestCa(caDir)
    issuer = await startFakeIssuer({ tls: { key: ca.key, cert: ca.cert } })
    proxy = await startConnectProxy()
  })
  afterAll(async () => {
    await proxy.close()
    await issuer.close()
    all.forEach(cleanup)
    rmSync(caDir, { recursive: true, force: true })
  })

  async function refreshWith(env: Record<string, string>, setting?: string) {
    const dirs = makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, ...env })
    all.push(dirs)
    const d = await startDaemon(dirs)
    try {
      const c = await d.connect()
      if (setting !== undefined) await c.call('settings.update', { proxy: setting })
      const added = await addAccount(c, issuer, all.length, 3600)
      const before = proxy.tunnels.length
      const { results } = await c.call('accounts.refresh', { alias: added.alias })
      c.close()
      return { result: results[0], tunnels: proxy.tunnels.slice(before) }
    } finally {
      await d.stop()
    }
  }

  const issuerHost = (): string => new URL(issuer.url).host

  it('HTTPS_PROXY: the refresh goes through the proxy, TLS verified against the test CA', async () => {
    const calls = issuer.refreshCalls
    const { result, tunnels } = await refreshWith({ HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile })
    expect(result?.ok, result?.error).toBe(true)
    expect(tunnels).toContain(issuerHost())
    expect(issuer.refreshCalls).toBeGreaterThan(calls)
  }, 60_000)

  it('TLS verification stays on through the proxy: without the CA the refresh fails', async () => {
    const calls = issuer.refreshCalls
    const { result, tunnels } = await refreshWith({ HTTPS_PROXY: proxy.url })
    expect(result?.ok).toBe(false)
    expect(tunnels).toContain(issuerHost())
    expect(issuer.refreshCalls).toBe(calls)
  }, 60_000)

  it('NO_PROXY names the issuer: straight to it, not through the proxy', async () => {
    const { result, tunnels } = await refreshWith({
      HTTPS_PROXY: proxy.url,
      NO_PROXY: 'localhost',
      NODE_EXTRA_CA_CERTS: ca.caFile,
    })
    expect(result?.ok, result?.error).toBe(true)
    expect(tunnels).toEqual([])
  }, 60_000)

  it('the proxy setting, with no proxy in the environment, is used too', async () => {
    const { result, tunnels } = await refreshWith({ NODE_EXTRA_CA_CERTS: ca.caFile }, proxy.url)
    expect(result?.ok, result?.error).toBe(true)
    expect(tunnels).toContain(issuerHost())
  }, 60_000)
})
