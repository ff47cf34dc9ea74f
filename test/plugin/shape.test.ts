import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt } from '../fakes/jwt.js'
import { callResponses, lastResponsesRequest, openCodeBody, startHarness, type Harness } from './harness.js'

/** Polls (no fixed sleep) until check() passes or the deadline. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setImmediate(r))
  }
}

describe('plugin fetch: request shaping against a spawned daemon and the fake backend', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
    await h.addAccount('alice')
  })
  afterAll(async () => h?.close())

  it('rewrites the URL and sends the daemon account’s Bearer and chatgpt-account-id beside OpenCode’s own headers', async () => {
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const sse = await res.text()
    expect(sse).toContain('event: response.completed')

    const seen = lastResponsesRequest(h.backend)
    expect(seen.path).toBe('/backend-api/codex/responses')
    expect(h.baseURL).toBe(`${h.backend.url}/codex`)
    const bearer = /^Bearer (\S+)$/.exec(seen.headers.authorization ?? '')?.[1]
    expect(bearer).toBeDefined()
    // The token the daemon holds for alice, not the marker OpenCode stored.
    const claims = decodeJwt(bearer as string)['https://api.openai.com/auth'] as Record<string, string>
    expect(claims.chatgpt_account_id).toBe('acct-alice')
    expect(seen.accountId).toBe('acct-alice')
    expect(seen.headers['chatgpt-account-id']).toBe('acct-alice')
    // OpenCode's ChatGPT path as it is: its originator and session headers, none of the stale ones.
    expect(seen.headers.originator).toBe('opencode')
    expect(seen.headers['session-id']).toBe('ses_test_1')
    expect(seen.headers['x-session-affinity']).toBe('ses_test_1')
    expect(seen.headers.accept).toBe('text/event-stream')
    for (const stale of ['openai-beta', 'session_id', 'conversation_id']) expect(seen.headers[stale]).toBeUndefined()
    expect(seen.status).toBe(200)
  })

  it('shapes the body: store:false, stream:true, item_reference and ids dropped, effort and tier from the model suffix', async () => {
    const res = await callResponses(
      h,
      openCodeBody({
        model: 'gpt-5.5-high-fast',
        store: true,
        reasoning: { summary: 'auto' },
        input: [
          { type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
          { type: 'item_reference', id: 'rs_gone' },
          { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'ls', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'a b' },
        ],
      }),
    )
    expect(res.status).toBe(200)
    await res.text()
    const body = lastResponsesRequest(h.backend).body as Record<string, unknown>
    expect(body.store).toBe(false)
    expect(body.stream).toBe(true)
    expect(body.model).toBe('gpt-5.5')
    expect(body.reasoning).toEqual({ summary: 'auto', effort: 'high' })
    expect(body.service_tier).toBe('priority')
    expect(body.include).toEqual(['reasoning.encrypted_content'])
    const input = body.input as Record<string, unknown>[]
    expect(input.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output'])
    expect(input.some((i) => 'id' in i)).toBe(false)
    expect(input[1].call_id).toBe('call_1')
  })

  it('turns the API-key shape an `api` marker makes OpenCode send into its ChatGPT path’s shape', async () => {
    const res = await callResponses(
      h,
      openCodeBody({
        model: 'gpt-5.4-nano',
        instructions: undefined,
        temperature: 0.5,
        input: [
          { role: 'developer', content: 'You are opencode.' },
          { role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }] },
          { role: 'user', content: [{ type: 'input_text', text: 'say hi' }] },
        ],
      }),
    )
    await res.text()
    const body = lastResponsesRequest(h.backend).body as Record<string, unknown>
    expect(body.instructions).toBe('You are opencode.\n\nBe brief.')
    expect(body.input).toEqual([{ role: 'user', content: [{ type: 'input_text', text: 'say hi' }] }])
    expect('temperature' in body).toBe(false)
    expect(body.model).toBe('gpt-5.4-mini')
  })

  it('keeps the caller’s effort when the model has no suffix, and maps every effort suffix', async () => {
    for (const effort of ['none', 'minimal', 'low', 'medium', 'xhigh']) {
      const res = await callResponses(h, openCodeBody({ model: `gpt-5.5-${effort}` }))
      await res.text()
      const body = lastResponsesRequest(h.backend).body as {
        model: string
        reasoning?: { effort?: string }
        service_tier?: string
      }
      expect(body.model).toBe('gpt-5.5')
      expect(body.reasoning?.effort).toBe(effort)
      expect(body.service_tier).toBeUndefined()
    }
    const res = await callResponses(h, openCodeBody({ reasoning: { effort: 'low' } }))
    await res.text()
    expect((lastResponsesRequest(h.backend).body as { reasoning: unknown }).reasoning).toEqual({ effort: 'low' })
  })

  it('gives a non-streaming caller the response.completed response as JSON', async () => {
    const res = await callResponses(h, openCodeBody({ stream: false }))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const json = (await res.json()) as {
      object: string
      status: string
      output: { content: { text: string }[] }[]
      usage: unknown
    }
    expect(json.object).toBe('response')
    expect(json.status).toBe('completed')
    expect(json.output[0].content[0].text).toBe('OK')
    expect(json.usage).toBeDefined()
    // Upstream it still streamed (the backend refuses anything else).
    expect((lastResponsesRequest(h.backend).body as { stream: boolean }).stream).toBe(true)
  })

  it('reports the status and x-codex-* headers of a success to the daemon (its limit view fills in)', async () => {
    h.backend.setUsage('acct-alice', { primaryUsedPercent: 37 })
    const res = await callResponses(h, openCodeBody())
    await res.text()
    await eventually(async () => (await h.account('alice')).limits?.fiveHour?.usedPercent === 37)
  })

  it('leaves other URLs alone and refuses a body that is not a Responses request with a JSON 400', async () => {
    const bad = await h.fetch(`${h.baseURL}/responses`, { method: 'POST', body: '{"input":"no model"}' })
    expect(bad.status).toBe(400)
    const err = (await bad.json()) as { error: { message: string } }
    expect(err.error.message).toContain('model')
    const other = await h.fetch(`${h.backend.url}/codex/usage`, { method: 'GET' })
    // Passed through untouched: no Bearer was added, so the backend refuses it.
    expect(other.status).toBe(401)
  })
})
