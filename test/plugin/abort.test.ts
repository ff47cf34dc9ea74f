import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callResponses, openCodeBody, startHarness, type Harness } from './harness.js'

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const responsesCalls = (h: Harness): number =>
  h.backend.requests.filter((r) => r.path.endsWith('/codex/responses')).length
const disconnects = (h: Harness): number =>
  h.backend.disconnects.filter((d) => d.path.endsWith('/codex/responses')).length

describe('plugin fetch: the caller’s abort reaches the backend', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
    await h.addAccount('a')
  })
  afterAll(async () => h?.close())

  it('aborting mid-stream cancels the upstream request (the fake sees the disconnect)', async () => {
    h.backend.setBehavior('acct-a', { slowMs: 20_000 })
    const ac = new AbortController()
    const before = disconnects(h)
    const res = await callResponses(h, openCodeBody(), { signal: ac.signal })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain('response.created')
    ac.abort()
    await expect(reader.read()).rejects.toThrow()
    await until(() => disconnects(h) === before + 1)
  })

  it('aborting before the response headers rejects with AbortError and cancels upstream', async () => {
    h.backend.setBehavior('acct-a', { hangMs: 20_000 })
    const ac = new AbortController()
    const before = disconnects(h)
    const calls = responsesCalls(h)
    const pending = callResponses(h, openCodeBody(), { signal: ac.signal })
    await until(() => responsesCalls(h) === calls + 1)
    ac.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    await until(() => disconnects(h) === before + 1)
  })

  it('an already aborted signal never reaches the backend', async () => {
    h.backend.setBehavior('acct-a', 'ok')
    const calls = responsesCalls(h)
    await expect(callResponses(h, openCodeBody(), { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(responsesCalls(h)).toBe(calls)
  })
})

describe('plugin fetch: upstream timeouts', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      pluginEnv: { OPENCODE_MULTI_AUTH_UPSTREAM_TIMEOUT_MS: '400', OPENCODE_MULTI_AUTH_STREAM_IDLE_TIMEOUT_MS: '400' },
    })
    await h.addAccount('a')
  })
  afterAll(async () => h?.close())

  it('no response headers in time: a JSON 504, and the upstream request is cancelled', async () => {
    h.backend.setBehavior('acct-a', { hangMs: 20_000 })
    const before = disconnects(h)
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(504)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('upstream_timeout')
    await until(() => disconnects(h) === before + 1)
  })

  it('a stream that goes silent errors for the caller and is cancelled upstream', async () => {
    h.backend.setBehavior('acct-a', { slowMs: 20_000 })
    const before = disconnects(h)
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    await until(() => disconnects(h) === before + 1)
  })
})
