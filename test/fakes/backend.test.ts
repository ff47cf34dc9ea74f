import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeBackend, type FakeBackend } from './backend.js'
import { mintTokens } from './jwt.js'

const alice = { email: 'alice@example.com', accountId: 'acct-A', userId: 'user-a' }
const bob = { email: 'bob@example.com', accountId: 'acct-B', userId: 'user-b', planType: 'pro' }

let backend: FakeBackend
beforeEach(async () => {
  backend = await startFakeBackend({ text: 'hello there' })
})
afterEach(async () => {
  await backend.close()
})

function ask(
  token: string,
  accountId: string,
  body: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${backend.url}/codex/responses`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'chatgpt-account-id': accountId,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify({ model: 'gpt-5.5', stream: true, store: false, input: [], ...body }),
    signal,
  })
}

function events(sse: string): Array<{ event: string; data: Record<string, unknown> }> {
  return sse
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n')
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? ''
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '{}') as Record<string, unknown>
      return { event, data }
    })
}

describe('fake backend: /codex/responses', () => {
  it('streams the five events with x-codex headers and records the request', async () => {
    const { accessToken } = mintTokens(alice)
    const res = await ask(accessToken, 'acct-A', { prompt_cache_key: 'k1' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('x-codex-primary-window-minutes')).toBe('300')
    expect(res.headers.get('x-codex-secondary-window-minutes')).toBe('10080')
    expect(Number(res.headers.get('x-codex-primary-used-percent'))).toBeGreaterThanOrEqual(0)
    expect(Number(res.headers.get('x-codex-primary-reset-at'))).toBeGreaterThan(Date.now() / 1000)
    expect(res.headers.get('x-codex-secondary-reset-at')).toMatch(/^\d+$/)

    const evs = events(await res.text())
    expect(evs.map((e) => e.event)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_text.delta',
      'response.output_item.done',
      'response.completed',
    ])
    for (const e of evs) expect(e.data.type).toBe(e.event)
    expect(evs[2].data.delta).toBe('hello there')
    const completed = evs[4].data.response as Record<string, unknown>
    expect(completed).toMatchObject({ status: 'completed', model: 'gpt-5.5', usage: { input_tokens: 12 } })

    expect(backend.requests).toHaveLength(1)
    expect(backend.requests[0]).toMatchObject({
      path: '/backend-api/codex/responses',
      accountId: 'acct-A',
      userId: 'user-a',
      status: 200,
      body: { prompt_cache_key: 'k1' },
      headers: { 'chatgpt-account-id': 'acct-A' },
    })
  })

  it('refuses a missing token, a mismatched account id and an expired token with 401', async () => {
    const { accessToken } = mintTokens(alice)
    expect((await ask('not-a-jwt', 'acct-A')).status).toBe(401)
    expect((await ask(accessToken, 'acct-B')).status).toBe(401)
    const expired = mintTokens(alice, { iat: Math.floor(Date.now() / 1000) - 100, expiresInS: 50 })
    const res = await ask(expired.accessToken, 'acct-A')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: { code: 'token_expired' } })
  })

  it('requires stream:true and store:false like the Codex backend', async () => {
    const { accessToken } = mintTokens(alice)
    expect((await ask(accessToken, 'acct-A', { stream: false })).status).toBe(400)
    expect((await ask(accessToken, 'acct-A', { store: true })).status).toBe(400)
  })

  it('answers 429 usage_limit_reached per account with Retry-After and 100% used', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 600
    backend.setBehavior('acct-B', { status: 429, resetsAt })
    const res = await ask(mintTokens(bob).accessToken, 'acct-B')
    expect(res.status).toBe(429)
    expect(await res.json()).toEqual({
      error: expect.objectContaining({ type: 'usage_limit_reached', plan_type: 'pro', resets_at: resetsAt }) as unknown,
    })
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(599)
    expect(res.headers.get('x-codex-primary-used-percent')).toBe('100')
    expect(res.headers.get('x-codex-primary-reset-at')).toBe(String(resetsAt))
    // Other accounts are unaffected.
    expect((await ask(mintTokens(alice).accessToken, 'acct-A')).status).toBe(200)
    expect(backend.requestsFor('acct-B').map((r) => r.status)).toEqual([429])
  })

  it('scripts 401, 402 deactivated_workspace and 400 model-unsupported', async () => {
    const token = mintTokens(alice).accessToken
    backend.setBehavior('acct-A', { status: 401 })
    expect((await ask(token, 'acct-A')).status).toBe(401)
    backend.setBehavior('acct-A', { status: 402 })
    const r402 = await ask(token, 'acct-A')
    expect(r402.status).toBe(402)
    expect(await r402.json()).toEqual({ detail: { code: 'deactivated_workspace' } })
    backend.setBehavior('acct-A', { status: 400, modelUnsupported: true })
    const r400 = await ask(token, 'acct-A', { model: 'gpt-x' })
    expect(r400.status).toBe(400)
    expect(JSON.stringify(await r400.json())).toContain('not supported when using Codex with a ChatGPT account')
  })

  it('stalls after the first event and records a client that gave up', async () => {
    backend.setBehavior('acct-A', { slowMs: 5_000 })
    const controller = new AbortController()
    const res = await ask(mintTokens(alice).accessToken, 'acct-A', {}, controller.signal)
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toContain('event: response.created')
    controller.abort()
    // The server learns of the abort asynchronously; allow a loaded machine plenty of time.
    const deadline = Date.now() + 10_000
    while (backend.disconnects.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(backend.disconnects).toEqual([
      expect.objectContaining({ accountId: 'acct-A', path: '/backend-api/codex/responses' }),
    ])
  })

  it('finishes a slow stream for a patient client', async () => {
    backend.setBehavior('*', { slowMs: 50 })
    const res = await ask(mintTokens(alice).accessToken, 'acct-A')
    expect(events(await res.text())).toHaveLength(5)
    expect(backend.disconnects).toEqual([])
  })
})

describe('fake backend: usage and other paths', () => {
  const usage = (token: string, accountId: string, path = '/codex/usage') =>
    fetch(`${backend.url}${path}`, { headers: { authorization: `Bearer ${token}`, 'chatgpt-account-id': accountId } })

  it('reports usage per account', async () => {
    backend.setUsage('acct-A', { primaryUsedPercent: 42 })
    const res = await usage(mintTokens(alice).accessToken, 'acct-A')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      plan_type: 'plus',
      rate_limit: {
        allowed: true,
        limit_reached: false,
        primary_window: { used_percent: 42, limit_window_seconds: 18_000 },
        secondary_window: { limit_window_seconds: 604_800 },
      },
      credits: { has_credits: false },
    })
  })

  it('shows a 429 account as limit reached, can answer 403, and 404s the rest', async () => {
    backend.setBehavior('acct-B', { status: 429 })
    const limited = await (await usage(mintTokens(bob).accessToken, 'acct-B')).json()
    expect(limited).toMatchObject({ rate_limit: { limit_reached: true, primary_window: { used_percent: 100 } } })
    backend.setUsageStatus('acct-A', 403)
    expect((await usage(mintTokens(alice).accessToken, 'acct-A')).status).toBe(403)
    expect((await usage(mintTokens(alice).accessToken, 'acct-A', '/wham/usage')).status).toBe(403)
    expect((await usage(mintTokens(alice).accessToken, 'acct-A', '/nothing')).status).toBe(404)
  })
})
