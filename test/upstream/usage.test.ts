import { describe, expect, it } from 'vitest'
import { observeUsage, usageFromCompleted, UsageReader } from '../../upstream/usage.js'
import { responseEvents, sseFrame } from '../fakes/backend-payloads.js'

const enc = new TextEncoder()

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const s of chunks) c.enqueue(enc.encode(s))
      c.close()
    },
  })
}

describe('reading usage from the response.completed event', () => {
  it('maps response.usage to token.report usage, details optional', () => {
    expect(
      usageFromCompleted({
        type: 'response.completed',
        response: {
          usage: {
            input_tokens: 10,
            output_tokens: 2,
            input_tokens_details: { cached_tokens: 4 },
            output_tokens_details: { reasoning_tokens: 1 },
          },
        },
      }),
    ).toEqual({ inputTokens: 10, outputTokens: 2, cachedTokens: 4, reasoningTokens: 1 })
    expect(
      usageFromCompleted({ type: 'response.completed', response: { usage: { input_tokens: 3, output_tokens: 0 } } }),
    ).toEqual({
      inputTokens: 3,
      outputTokens: 0,
    })
    expect(usageFromCompleted({ type: 'response.output_text.delta', delta: 'x' })).toBeUndefined()
    expect(
      usageFromCompleted({ type: 'response.completed', response: { usage: { input_tokens: -1, output_tokens: 2 } } }),
    ).toBeUndefined()
  })

  it('finds it in a stream split at any byte, and passes every chunk on unchanged', async () => {
    const text = responseEvents('OK', 'gpt-5.5', 1_800_000_000).map(sseFrame).join('')
    for (const size of [1, 7, 64, text.length]) {
      const chunks: string[] = []
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
      let seen: unknown = 'not called'
      const out = observeUsage(streamOf(chunks), (u) => (seen = u))
      expect(await new Response(out).text()).toBe(text)
      expect(seen).toEqual(
        usageFromCompleted(
          JSON.parse(sseFrame(responseEvents('OK', 'gpt-5.5', 1_800_000_000).at(-1)!).split('data: ')[1]),
        ),
      )
      expect(seen).not.toBeUndefined()
    }
  })

  it('reports a cancelled stream once, with what was seen so far', async () => {
    let calls = 0
    const out = observeUsage(streamOf(['event: response.created\ndata: {}\n\n', 'more']), () => calls++)
    const reader = out.getReader()
    await reader.read()
    await reader.cancel()
    expect(calls).toBe(1)
    const r = new UsageReader()
    r.push(enc.encode('data: not json\n\n'))
    expect(r.end()).toBeUndefined()
  })
})
