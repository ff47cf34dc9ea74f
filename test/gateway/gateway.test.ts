import { afterEach, describe, expect, it } from 'vitest'
import { decodeJwt } from '../fakes/jwt.js'
import { codexBody, codexHeaders, startGatewayHarness, type GatewayHarness } from './support.js'

const responses = (g: GatewayHarness) => g.backend.requests.filter((r) => r.path === '/backend-api/codex/responses')

/** One Codex turn while the account that would serve first answers 429 usage_limit_reached. */
async function turnWithFirstLimited(g: GatewayHarness): Promise<{ first: string; second: string; res: Response }> {
  const { order } = await g.pair.app.client.call('rotation.get', {})
  const first = order[0].alias
  const second = first === 'a' ? 'b' : 'a'
  g.backend.setBehavior(`acct-${first}`, { status: 429 })
  const res = await g.call('/codex/responses', {
    method: 'POST',
    headers: codexHeaders,
    body: JSON.stringify(codexBody()),
  })
  return { first, second, res }
}

describe('the gateway for the Codex CLI (in-process daemon, fake backend)', () => {
  let g: GatewayHarness | undefined
  afterEach(async () => {
    await g?.close()
    g = undefined
  })

  it("serves a Responses request with a pool account's token, passing Codex's own headers and body through", async () => {
    g = await startGatewayHarness()
    const body = JSON.stringify(codexBody())
    const res = await g.call('/codex/responses', { method: 'POST', headers: codexHeaders, body })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('event: response.completed')
    const [seen] = responses(g)
    expect(seen.accountId).toMatch(/^acct-[ab]$/)
    expect(seen.headers['chatgpt-account-id']).toBe(seen.accountId)
    const bearer = /^Bearer (\S+)$/.exec(seen.headers.authorization ?? '')?.[1] ?? ''
    expect(decodeJwt(bearer)['https://api.openai.com/auth']).toMatchObject({ chatgpt_account_id: seen.accountId })
    for (const [k, v] of Object.entries(codexHeaders)) if (k !== 'content-type') expect(seen.headers[k]).toBe(v)
    // The secret is the gateway's: it never reaches the backend.
    expect(JSON.stringify(seen.headers)).not.toContain(g.secret)
    expect(seen.body).toEqual(JSON.parse(body))
    expect((await g.status()).requests).toBeGreaterThanOrEqual(1)
  })

  it('moves a 429 usage_limit_reached to the next account inside the same request; Codex never sees it', async () => {
    g = await startGatewayHarness()
    const { first, second, res } = await turnWithFirstLimited(g)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('response.completed')
    expect(responses(g).map((r) => [r.accountId, r.status])).toEqual([
      [`acct-${first}`, 429],
      [`acct-${second}`, 200],
    ])
    expect((await g.status()).failovers).toBe(1)
    expect((await g.pair.app.client.call('accounts.get', { alias: first })).health).toBe('rate_limited')
  })

  it("counts the gateway's turns in the usage history, the 429 that moved it on included", async () => {
    g = await startGatewayHarness()
    const { first, second, res } = await turnWithFirstLimited(g)
    await res.text()
    const usage = await g.pair.app.client.call('usage.get', { since: 0 })
    const totals = new Map(usage.accounts.map((a) => [a.alias, a.totals]))
    expect(totals.get(first)?.status['429']).toBe(1)
    expect(totals.get(second)?.status['2xx']).toBe(1)
    expect(usage.pool.totals.requests).toBe(2)
  })

  it('with every account limited, answers one 429 usage_limit_reached with the earliest reset', async () => {
    g = await startGatewayHarness()
    const soon = Math.floor(Date.now() / 1000) + 600
    g.backend.setBehavior('acct-a', { status: 429, resetsAt: soon + 3000 })
    g.backend.setBehavior('acct-b', { status: 429, resetsAt: soon })
    const res = await g.call('/codex/responses', {
      method: 'POST',
      headers: codexHeaders,
      body: JSON.stringify(codexBody()),
    })
    expect(res.status).toBe(429)
    const err = ((await res.json()) as { error: { type: string; resets_at: number; message: string } }).error
    expect(err.type).toBe('usage_limit_reached')
    expect(Math.abs(err.resets_at - soon)).toBeLessThanOrEqual(1)
    expect(err.message).toContain('all 2 ChatGPT accounts')
    // Nothing in flight for it any more, and no second try of either account.
    expect(responses(g)).toHaveLength(2)
  })

  it('refuses a request without the secret, and one whose Host is not the listener, before anything reaches the backend', async () => {
    g = await startGatewayHarness()
    const none = await g.call('/codex/responses', { method: 'POST', body: JSON.stringify(codexBody()), auth: null })
    expect(none.status).toBe(401)
    const wrong = await g.call('/codex/responses', {
      method: 'POST',
      body: JSON.stringify(codexBody()),
      auth: 'x'.repeat(43),
    })
    expect(wrong.status).toBe(401)
    const { request } = await import('node:http')
    const port = new URL(g.url).port
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/backend-api/codex/usage',
          headers: { host: 'evil.example:80', authorization: `Bearer ${g!.secret}` },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
    expect(g.backend.requests).toEqual([])
  })

  it("answers /wham/usage and /codex/usage with the next account's view, and accepts Codex's own pool token there", async () => {
    g = await startGatewayHarness()
    g.backend.setUsage('acct-a', { primaryUsedPercent: 42 })
    g.backend.setUsage('acct-b', { primaryUsedPercent: 42 })
    const token = g.pair.app.app.components.store.data.accounts.a.accessToken
    for (const path of ['/wham/usage', '/codex/usage']) {
      const res = await g.call(path, { auth: token })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { rate_limit: { primary_window: { used_percent: number } } }
      expect(body.rate_limit.primary_window.used_percent).toBe(42)
    }
    // Both went to the current endpoint (the old one answers 403 for valid tokens).
    expect(g.backend.requests.map((r) => r.path)).toEqual(['/backend-api/codex/usage', '/backend-api/codex/usage'])
    // With every account limited: limit reached, so Codex says so instead of sending a turn that cannot be served.
    const until = Date.now() + 3_600_000
    await g.pair.app.app.components.store.update((d) => {
      for (const alias of ['a', 'b']) d.accounts[alias].rateLimitedUntil = until
    })
    const limited = await g.call('/wham/usage', { auth: token })
    expect(limited.status).toBe(200)
    const view = (await limited.json()) as {
      rate_limit: { limit_reached: boolean; primary_window: { reset_at: number } }
    }
    expect(view.rate_limit.limit_reached).toBe(true)
    expect(Math.abs(view.rate_limit.primary_window.reset_at - Math.ceil(until / 1000))).toBeLessThanOrEqual(1)
    expect(g.backend.requests).toHaveLength(2)
  })

  it('passes the stream through as it arrives, and a Codex that goes away ends the upstream request', async () => {
    g = await startGatewayHarness(['a'])
    g.backend.setBehavior('acct-a', { slowMs: 60_000 })
    const ac = new AbortController()
    const res = await g.call('/codex/responses', {
      method: 'POST',
      headers: codexHeaders,
      body: JSON.stringify(codexBody()),
      signal: ac.signal,
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    // The backend sent only its first event and now waits a minute: it arrives now, not then.
    const first = new TextDecoder().decode((await reader.read()).value as Uint8Array)
    expect(first).toContain('response.created')
    ac.abort()
    const deadline = Date.now() + 5000
    while (g.backend.disconnects.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(g.backend.disconnects.map((d) => d.accountId)).toEqual(['acct-a'])
  })
})
