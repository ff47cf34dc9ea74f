/**
 * The gateway's own outbound fetch (GatewayDeps.outbound): given what the daemon's fetch is
 * made of, the gateway reaches the backend through net/proxy.ts (plain requests on undici's
 * `request`) instead of the daemon's fetch; without it, through the daemon's fetch.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Logger } from '../../daemon/deps.js'
import { Gateway, type GatewayDeps } from '../../daemon/gateway/index.js'
import { startFakeBackend, type FakeBackend } from '../fakes/backend.js'
import { mintTokens } from '../fakes/jwt.js'
import { codexBody, codexHeaders } from './support.js'

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} }

describe('the gateway with its own outbound fetch', () => {
  let backend: FakeBackend | undefined
  let gateway: Gateway | undefined
  let dir: string | undefined
  afterEach(async () => {
    await gateway?.close()
    await backend?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    backend = gateway = dir = undefined
  })

  async function start(over: Partial<GatewayDeps>, daemonFetch: GatewayDeps['fetch']) {
    backend = await startFakeBackend()
    dir = mkdtempSync(join(tmpdir(), 'oma-gw-'))
    const t = mintTokens({ email: 'a@example.com', accountId: 'acct-a', userId: 'user-a' })
    const deps = {
      secretFile: join(dir, 'gateway.secret'),
      chatgptBase: backend.url,
      forced: { port: 0 },
      tokens: {
        get: () =>
          Promise.resolve({
            alias: 'a',
            accessToken: t.accessToken,
            expiresAt: Date.now() + 3.6e6,
            accountId: 'acct-a',
          }),
      },
      report: () => Promise.resolve({ retry: false }),
      fetch: daemonFetch,
      clock: { now: () => Date.now() },
      logger: quiet,
      ...over,
    } as unknown as GatewayDeps
    gateway = new Gateway(deps)
    await gateway.apply({ gatewayEnabled: true, gatewayPort: 0 })
    const url = gateway.status().url as string
    const secret = readFileSync(join(dir, 'gateway.secret'), 'utf8').trim()
    return fetch(`${url}/codex/responses`, {
      method: 'POST',
      headers: { ...codexHeaders, authorization: `Bearer ${secret}` },
      body: JSON.stringify(codexBody()),
    })
  }

  it('given `outbound`, the backend is reached without the daemon fetch', async () => {
    let daemonCalls = 0
    const daemonFetch: GatewayDeps['fetch'] = (i, init) => (daemonCalls++, fetch(i, init))
    const res = await start(
      { outbound: { env: {}, setting: () => undefined, logger: quiet, direct: daemonFetch } },
      daemonFetch,
    )
    expect(await res.text()).toContain('event: response.completed')
    expect(daemonCalls).toBe(0)
    expect(backend?.requests.map((r) => r.accountId)).toEqual(['acct-a'])
  })

  it('without it, through the daemon fetch', async () => {
    let daemonCalls = 0
    const res = await start({}, (i, init) => (daemonCalls++, fetch(i, init)))
    expect(await res.text()).toContain('event: response.completed')
    expect(daemonCalls).toBe(1)
  })
})
