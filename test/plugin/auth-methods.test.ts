import { afterEach, describe, expect, it } from 'vitest'
import { MARKER_EXPIRES } from '../../client/plugin/auth-methods.js'
import { MARKER_KEY } from '../../client/plugin/config.js'
import type { ApiMethod, OAuthMethod } from '../../client/plugin/opencode-types.js'
import { freePort, toLoopback } from '../login/helpers.js'
import { startHarness, type Harness } from './harness.js'

function methodsOf(h: Harness): { browser: OAuthMethod; existing: ApiMethod } {
  const methods = h.hooks.auth?.methods ?? []
  const browser = methods.find((m): m is OAuthMethod => m.type === 'oauth' && !m.label.includes('device'))
  const existing = methods.find((m): m is ApiMethod => m.type === 'api')
  if (!browser || !existing) throw new Error('the plugin offers no browser sign-in or no "use existing accounts"')
  return { browser, existing }
}

describe('plugin auth hook: sign-in through the daemon, only a marker for OpenCode', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('is the auth hook for provider openai, with browser, device and "use existing accounts" methods', async () => {
    h = await startHarness()
    expect(h.hooks.auth?.provider).toBe('openai')
    expect(h.hooks.auth?.methods.map((m) => m.type)).toEqual(['oauth', 'oauth', 'api'])
  })

  it('browser sign-in: the daemon signs the account in, OpenCode gets the marker and no token', async () => {
    const ports = `${await freePort()},${await freePort()}`
    h = await startHarness({ daemonEnv: { OPENCODE_MULTI_AUTH_LOGIN_PORTS: ports } })
    h.issuer.setNextLogin(h.identity('carol'))
    const { browser } = methodsOf(h)
    const started = await browser.authorize()
    expect(started.method).toBe('auto')
    expect(started.url.startsWith(`${h.issuer.url}/oauth/authorize?`)).toBe(true)
    const done = started.callback()
    // Play the browser: the issuer redirects to the daemon's callback server.
    const auth = await fetch(started.url, { redirect: 'manual' })
    expect(auth.status).toBe(302)
    const page = await fetch(toLoopback(auth.headers.get('location') ?? ''))
    expect(page.status).toBe(200)
    const result = await done
    // An oauth-type marker (OpenCode then shapes requests for the ChatGPT path), never a token.
    expect(result).toEqual({ type: 'success', refresh: MARKER_KEY, access: MARKER_KEY, expires: MARKER_EXPIRES })
    const { accounts } = await h.rpc.call('accounts.list', {})
    expect(accounts.map((a) => a.email)).toEqual(['carol@example.com'])
  })

  it('"use existing accounts" fails while the daemon has none, then stores the marker', async () => {
    h = await startHarness()
    const { existing } = methodsOf(h)
    expect(await existing.authorize?.()).toEqual({ type: 'failed' })
    await h.addAccount('dave')
    expect(await existing.authorize?.()).toEqual({ type: 'success', key: MARKER_KEY })
  })

  it('the loader leaves a real platform API key alone and routes the marker through the daemon', async () => {
    h = await startHarness()
    const loader = h.hooks.auth?.loader
    expect(await loader?.(async () => ({ type: 'api', key: 'sk-proj-real' }), { id: 'openai' })).toEqual({})
    const routed = await loader?.(async () => ({ type: 'api', key: MARKER_KEY }), { id: 'openai' })
    expect(routed).toMatchObject({ apiKey: MARKER_KEY, baseURL: `${h.backend.url}/codex` })
  })
})
