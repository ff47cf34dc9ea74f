import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reportWhenDone, usageFromCompleted, watchUsage } from '../../client/plugin/usage.js'
import { callResponses, openCodeBody, startHarness, type Harness } from './harness.js'

const completed = {
  type: 'response.completed',
  response: {
    id: 'resp_1',
    usage: {
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 100 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 8 },
      total_tokens: 150,
    },
  },
}

function chunks(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let at = 0
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close()
      c.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

describe('usage from response.completed', () => {
  it('reads the counts of the event, of its response, and refuses anything else', () => {
    const want = { inputTokens: 120, outputTokens: 30, cachedTokens: 100, reasoningTokens: 8 }
    expect(usageFromCompleted(completed)).toEqual(want)
    expect(usageFromCompleted(completed.response)).toEqual(want)
    expect(
      usageFromCompleted({ type: 'response.done', response: { usage: { input_tokens: 1, output_tokens: 2 } } }),
    ).toEqual({
      inputTokens: 1,
      outputTokens: 2,
    })
    expect(usageFromCompleted({ usage: { input_tokens: -1, output_tokens: 2 } })).toBeUndefined()
    expect(usageFromCompleted({ usage: { input_tokens: '1', output_tokens: 2 } })).toBeUndefined()
    expect(usageFromCompleted({ type: 'response.output_text.delta', delta: 'x' })).toBeUndefined()
    expect(usageFromCompleted(null)).toBeUndefined()
  })

  it('watches a stream split anywhere, passes it through unchanged, and ends once', async () => {
    const sse =
      `event: response.created\ndata: {"type":"response.created"}\n\n` +
      `event: response.completed\r\ndata: ${JSON.stringify(completed)}\r\n\r\n`
    for (const size of [1, 7, 64, 4096]) {
      const ends: unknown[] = []
      const out = await new Response(watchUsage(chunks(sse, size), (u) => ends.push(u))).text()
      expect(out).toBe(sse)
      expect(ends).toEqual([{ inputTokens: 120, outputTokens: 30, cachedTokens: 100, reasoningTokens: 8 }])
    }
  })

  it('a cancelled or failing body still reports once, without counts', async () => {
    const ends: unknown[] = []
    const res = reportWhenDone(new Response(chunks('data: {"type":"response.created"}\n\n', 4)), (u) => ends.push(u))
    await res.body!.cancel()
    expect(ends).toEqual([undefined])
    const failing = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error('reset')) })
    const seen: unknown[] = []
    await expect(new Response(watchUsage(failing, (u) => seen.push(u))).text()).rejects.toThrow('reset')
    expect(seen).toEqual([undefined])
  })
})

describe('the plugin reports token counts', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
    await h.addAccount('alice')
  }, 60_000)
  afterAll(() => h?.close())

  it('for a streamed and a non-streamed answer, once each', async () => {
    await (await callResponses(h, openCodeBody())).text()
    await (await callResponses(h, openCodeBody({ stream: false }))).json()
    // The report is fire and forget: wait (bounded) for the daemon to have both.
    const deadline = Date.now() + 10_000
    let totals
    do {
      totals = (await h.rpc.call('usage.get', { alias: 'alice' })).accounts[0].totals
      if (totals.requests >= 2) break
      await new Promise((r) => setTimeout(r, 20))
    } while (Date.now() < deadline)
    expect(totals).toMatchObject({ requests: 2, inputTokens: 24, cachedTokens: 0 })
    expect(totals.outputTokens).toBeGreaterThanOrEqual(2)
    expect(totals.status['2xx']).toBe(2)
  })
})
