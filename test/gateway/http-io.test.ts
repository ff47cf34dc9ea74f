/**
 * The gateway's Node-side HTTP (daemon/gateway/http-io.ts): the answer's headers leave at
 * once when the backend has sent nothing after them yet (a first chunk already there may
 * go with them), chunks leave as they come, and request bodies arrive whole.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { readBody, writeResponse } from '../../daemon/gateway/http-io.js'

describe('gateway http-io', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    server?.closeAllConnections()
    server = undefined
  })

  async function serve(handler: Parameters<typeof createServer>[1] & object): Promise<string> {
    const s = createServer(handler)
    server = s
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
  }

  it('sends the status and headers before the first chunk exists, then each chunk as it comes', async () => {
    let push: (text: string) => void = () => {}
    let end: () => void = () => {}
    const url = await serve((_req, res) => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          push = (t) => c.enqueue(new TextEncoder().encode(t))
          end = () => c.close()
        },
      })
      void writeResponse(res, new Response(body, { status: 200, headers: { 'x-codex-primary-used-percent': '7' } }))
    })
    // Nothing was enqueued: only the headers can have made fetch resolve.
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-codex-primary-used-percent')).toBe('7')
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    for (const part of ['event: a\n\n', 'event: b\n\n']) {
      push(part)
      expect(decoder.decode((await reader.read()).value)).toBe(part)
    }
    end()
    expect((await reader.read()).done).toBe(true)
  })

  it('a first chunk that is already there goes out with the headers, and the rest follows', async () => {
    const url = await serve((_req, res) => {
      void writeResponse(res, new Response('first;second', { headers: { 'content-type': 'text/plain' } }))
    })
    const res = await fetch(url)
    expect(await res.text()).toBe('first;second')
  })

  it('reads a request body that arrives in many chunks, whole and in order', async () => {
    const got: Buffer[] = []
    const url = await serve((req, res) => {
      void readBody(req, 4 * 1024 * 1024).then((b) => {
        got.push(b)
        res.end('ok')
      })
    })
    const parts = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i))
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p)
        c.close()
      },
    })
    await (await fetch(url, { method: 'POST', body, duplex: 'half' })).text()
    expect(Buffer.compare(got[0], Buffer.concat(parts))).toBe(0)
  })
})
