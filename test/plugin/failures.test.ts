import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MARKER_KEY, resolveConfig } from '../../client/plugin/config.js'
import { buildHooks } from '../../client/plugin/hooks.js'
import type { FetchFn, LoaderResult } from '../../client/plugin/opencode-types.js'
import { RpcClient } from '../../client/rpc/client.js'
import { startFakeBackend, type FakeBackend } from '../fakes/backend.js'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'
import { callResponses, openCodeBody, startHarness, type Harness } from './harness.js'

async function loadFetch(
  env: Record<string, string>,
  over: Parameters<typeof resolveConfig>[1] = {},
): Promise<{ fetch: FetchFn; baseURL: string; dispose: () => Promise<void> }> {
  const hooks = buildHooks(resolveConfig(env, over))
  const loaded = (await hooks.auth?.loader?.(async () => ({ type: 'api', key: MARKER_KEY }), {
    id: 'openai',
  })) as LoaderResult
  return { fetch: loaded.fetch, baseURL: loaded.baseURL, dispose: async () => hooks.dispose?.() }
}

async function errorOf(res: Response): Promise<{ message: string; code: string }> {
  return ((await res.json()) as { error: { message: string; code: string } }).error
}

describe('plugin fetch: failure answers are HTTP responses OpenCode can show', () => {
  let h: Harness | undefined
  let dirs: TestDirs | undefined
  let backend: FakeBackend | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
    await backend?.close()
    backend = undefined
    if (dirs) {
      // A daemon the plugin started is detached: stop it over its socket.
      const c = await RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 5000 }).catch(() => undefined)
      if (c) {
        await c.call('daemon.shutdown', {}).catch(() => undefined)
        c.close()
        const deadline = Date.now() + 10_000
        while (existsSync(dirs.socketPath) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
      }
      cleanup(dirs)
      dirs = undefined
    }
  })

  it('no accounts: 401 telling the user to run `opencode-multi-auth add`', async () => {
    h = await startHarness()
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('application/json')
    const err = await errorOf(res)
    expect(err.code).toBe('no_accounts')
    expect(err.message).toContain('opencode-multi-auth add')
    expect(h.backend.requests).toHaveLength(0)
  })

  it('the only account is signed out (its grant revoked): 401 saying to sign in again', async () => {
    h = await startHarness()
    await h.addAccount('a')
    h.issuer.revoke('a@example.com')
    const refreshed = await h.rpc.call('accounts.refresh', { alias: 'a' })
    expect(refreshed.results[0].ok).toBe(false)
    expect((await h.account('a')).health).toBe('auth_invalid')
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(401)
    const err = await errorOf(res)
    expect(err.code).toBe('no_usable_account')
    expect(err.message).toContain('auth_invalid')
    expect(err.message).toContain('opencode-multi-auth add')
    expect(h.backend.requests).toHaveLength(0)
  })

  it('when the last account left fails for its own reason, the backend’s answer goes through', async () => {
    h = await startHarness()
    await h.addAccount('a')
    await h.addAccount('b')
    await h.rpc.call('accounts.setEnabled', { alias: 'a', enabled: false })
    h.backend.setBehavior('acct-b', { status: 402 })
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(402)
    expect(await res.text()).toContain('deactivated_workspace')
  })

  it('daemon unreachable with autostart off: 503 saying how to start it', async () => {
    dirs = makeDirs()
    const { fetch, baseURL, dispose } = await loadFetch({ ...dirs.env, OPENCODE_MULTI_AUTH_NO_AUTOSTART: '1' })
    const res = await callResponses({ fetch, baseURL }, openCodeBody())
    await dispose()
    expect(res.status).toBe(503)
    const err = await errorOf(res)
    expect(err.code).toBe('daemon_unavailable')
    expect(err.message).toContain('opencode-multi-auth daemon start')
    expect(err.message).toContain('OPENCODE_MULTI_AUTH_NO_AUTOSTART')
  })

  it('daemon unreachable: the plugin starts it the way `daemon start` does, and the request is served', async () => {
    backend = await startFakeBackend()
    dirs = makeDirs({ OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url })
    // This machine has a store folder of its own (else an explicit socket means a forwarded, remote daemon).
    mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
    expect(existsSync(dirs.socketPath)).toBe(false)
    const { fetch, baseURL, dispose } = await loadFetch(dirs.env)
    const res = await callResponses({ fetch, baseURL }, openCodeBody())
    await dispose()
    // The daemon answered: it has no account yet, which is what it says.
    expect(res.status).toBe(401)
    expect((await errorOf(res)).code).toBe('no_accounts')
    const status = await RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 5000 }).then(async (c) => {
      const s = await c.call('daemon.status', {})
      c.close()
      return s
    })
    expect(status.pid).toBeGreaterThan(0)
    expect(status.pid).not.toBe(process.pid)
  })

  it('autostart that fails: 503 with the reason and how to start it by hand', async () => {
    dirs = makeDirs()
    const { fetch, baseURL, dispose } = await loadFetch(dirs.env, { nodePath: '/nonexistent/node' })
    const res = await callResponses({ fetch, baseURL }, openCodeBody())
    await dispose()
    expect(res.status).toBe(503)
    const err = await errorOf(res)
    expect(err.message).toContain('starting one failed')
    expect(err.message).toContain('opencode-multi-auth daemon start')
  })

  it('a daemon restarted between requests: the plugin reconnects by itself', async () => {
    h = await startHarness()
    await h.addAccount('a')
    const one = await callResponses(h, openCodeBody())
    expect(one.status).toBe(200)
    await one.text()
    await h.ageLastRefresh(0) // stop + restart on the same socket
    const two = await callResponses(h, openCodeBody())
    expect(two.status).toBe(200)
    await two.text()
  })
})
