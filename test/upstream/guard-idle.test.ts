/**
 * The one pass-through stream between the backend and the caller (upstream/response.ts
 * guardIdle): chunks unchanged, a tap that sees each of them and how the stream ended (the
 * success report waits for that end), a cancel that reaches the source.
 */
import { describe, expect, it } from 'vitest'
import { guardIdle, type StreamTap } from '../../upstream/response.js'
import { usageTap, type Usage } from '../../upstream/usage.js'
import { responseEvents, sseFrame } from '../fakes/backend-payloads.js'

const enc = new TextEncoder()

function recorder(): StreamTap & { chunks: string[]; ends: boolean[] } {
  const dec = new TextDecoder()
  const r = {
    chunks: [] as string[],
    ends: [] as boolean[],
    chunk: (v: Uint8Array) => void r.chunks.push(dec.decode(v)),
    end: (completed: boolean) => void r.ends.push(completed),
  }
  return r
}

describe('guardIdle with a tap', () => {
  it('passes every chunk on unchanged, shows each to the tap, then one completed end', async () => {
    const parts = ['event: a\n\n', 'event: b\n\n', 'event: c\n\n']
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(enc.encode(p))
        c.close()
      },
    })
    const tap = recorder()
    expect(await new Response(guardIdle(src, 60_000, () => {}, tap)).text()).toBe(parts.join(''))
    expect(tap.chunks).toEqual(parts)
    expect(tap.ends).toEqual([true])
  })

  it('a reader that cancels ends the tap once, not completed, and cancels the source', async () => {
    let cancelled: unknown = 'no'
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('event: a\n\n'))
      },
      cancel(reason) {
        cancelled = reason
      },
    })
    const tap = recorder()
    const reader = guardIdle(src, 60_000, () => {}, tap).getReader()
    await reader.read()
    await reader.cancel('gone')
    expect(tap.ends).toEqual([false])
    expect(cancelled).toBe('gone')
  })

  it('a failing source errors the stream and ends the tap, not completed', async () => {
    const src = new ReadableStream<Uint8Array>({
      pull() {
        throw new Error('terminated')
      },
    })
    const tap = recorder()
    await expect(new Response(guardIdle(src, 60_000, () => {}, tap)).text()).rejects.toThrow('terminated')
    expect(tap.ends).toEqual([false])
  })

  it('with the usage tap, the completed event gives the usage once the stream ends', async () => {
    const text = responseEvents('OK', 'gpt-5.5', 1_800_000_000).map(sseFrame).join('')
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < text.length; i += 5) c.enqueue(enc.encode(text.slice(i, i + 5)))
        c.close()
      },
    })
    const seen: (Usage | undefined)[] = []
    const out = guardIdle(
      src,
      60_000,
      () => {},
      usageTap((u) => seen.push(u)),
    )
    expect(await new Response(out).text()).toBe(text)
    expect(seen).toHaveLength(1)
    expect(typeof seen[0]?.inputTokens).toBe('number')
    expect(typeof seen[0]?.outputTokens).toBe('number')
  })
})
