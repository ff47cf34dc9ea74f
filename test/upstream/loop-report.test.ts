/**
 * The success report of the account loop (upstream/loop.ts): it leaves once the stream has
 * passed, with the usage of its completed event, for a streaming caller and a JSON one alike.
 */
import { describe, expect, it } from 'vitest'
import type { TokenResult } from '../../protocol/methods.js'
import { serveResponses } from '../../upstream/loop.js'
import { codexProfile } from '../../upstream/profiles.js'
import { fetchTransport } from '../../upstream/send.js'
import { SessionAccounts } from '../../upstream/sessions.js'
import type { FetchFn, ReportParams, TokenSource } from '../../upstream/types.js'
import { responseEvents, sseFrame } from '../fakes/backend-payloads.js'

const token: TokenResult = { alias: 'a', accessToken: 'at-a', expiresAt: Date.now() + 3_600_000, accountId: 'acct-a' }

function setup() {
  const reports: ReportParams[] = []
  const tokens: TokenSource = {
    get: () => Promise.resolve(token),
    report: (p) => {
      reports.push(p)
      return Promise.resolve({ retry: false })
    },
  }
  const sse = responseEvents('OK', 'gpt-5.5', 1_800_000_000).map(sseFrame).join('')
  const fetch: FetchFn = () =>
    Promise.resolve(
      new Response(sse, {
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'x-codex-primary-used-percent': '5' },
      }),
    )
  const deps = {
    tokens,
    profile: codexProfile(() => new Response(null, { status: 429 }), []),
    sessions: new SessionAccounts(),
    chatgptBase: 'http://127.0.0.1:9/backend-api',
    headersTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
    transport: fetchTransport(fetch),
    now: () => Date.now(),
  }
  return { reports, deps, sse }
}

function request(stream: boolean) {
  const body = { model: 'gpt-5.5', input: [], store: false, stream }
  return { headers: new Headers(), text: JSON.stringify(body), body }
}

describe('the success report', () => {
  it('streaming: waits for the end of the stream, then carries its usage', async () => {
    const { reports, deps, sse } = setup()
    const res = await serveResponses(request(true), deps)
    expect(reports).toEqual([])
    expect(await res.text()).toBe(sse)
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ alias: 'a', status: 200, model: 'gpt-5.5', usage: { inputTokens: 12 } })
    expect(reports[0]?.headers).toEqual({ 'x-codex-primary-used-percent': '5' })
  })

  it('JSON: the completed response, and the report with its usage', async () => {
    const { reports, deps } = setup()
    const res = await serveResponses(request(false), deps)
    expect(((await res.json()) as { status?: string }).status).toBe('completed')
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ usage: { inputTokens: 12 } })
  })

  it('a caller that goes away mid-stream still gets the account reported, without usage', async () => {
    const { reports, deps, sse } = setup()
    // The first event, then nothing: the completed event never comes.
    const first = sse.slice(0, sse.indexOf('\n\n') + 2)
    deps.transport = fetchTransport(() =>
      Promise.resolve(
        new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode(first)) }), {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
        }),
      ),
    )
    const res = await serveResponses(request(true), deps)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.cancel()
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ alias: 'a', status: 200 })
    expect(reports[0]?.usage).toBeUndefined()
  })
})
