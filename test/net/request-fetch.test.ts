/**
 * The daemon's fetch on undici's `request` (daemon/net/request-fetch.ts): what it must keep
 * of fetch while it takes fetch's place on the gateway's path — each answer on a reused
 * connection is its own, an abort reaches the backend, bodies are decoded as fetch decodes
 * them, fetch's errors and default headers, and what it does not take goes to the real fetch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { gzipSync } from 'node:zlib'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { FetchFn } from '../../daemon/deps.js'
import { requestFetch } from '../../daemon/net/request-fetch.js'
import { listenLoopback, readBody, type Listening } from '../fakes/http.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

describe('requestFetch', () => {
  let server: Listening | undefined
  let agent: Agent | undefined
  afterEach(async () => {
    await server?.close()
    await agent?.close()
    server = agent = undefined
  })

  async function setup(handler: Handler, fallback: FetchFn = fetch) {
    let connections = 0
    server = await listenLoopback(handler)
    server.server.on('connection', () => connections++)
    const a = new Agent()
    agent = a
    return { f: requestFetch(() => a, fallback), origin: server.origin, connections: () => connections }
  }

  it('on one kept-alive connection, every answer goes to its own request, also after a cancelled one', async () => {
    const { f, origin, connections } = await setup(async (req, res) => {
      const id = await readBody(req)
      res.writeHead(200, { 'content-type': 'text/plain' })
      if (id.startsWith('slow')) {
        // The first part now, the rest never: the client cancels in between.
        res.write(`${id}:part1;`)
        return
      }
      res.end(`${id}:done`)
    })
    for (let i = 0; i < 20; i++) {
      const res = await f(`${origin}/x`, { method: 'POST', body: `r${i}` })
      expect(await res.text()).toBe(`r${i}:done`)
      if (i % 5 === 0) {
        const slow = await f(`${origin}/x`, { method: 'POST', body: `slow${i}` })
        const reader = (slow.body as ReadableStream<Uint8Array>).getReader()
        expect(new TextDecoder().decode((await reader.read()).value)).toBe(`slow${i}:part1;`)
        await reader.cancel()
      }
    }
    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) => f(`${origin}/x`, { method: 'POST', body: `c${i}` }).then((r) => r.text())),
    )
    expect(all).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}:done`))
    // Reused: far fewer connections than requests (each cancelled stream costs its own).
    expect(connections()).toBeLessThan(20)
  })

  it('an abort after the headers reaches the backend and errors the body with the reason', async () => {
    let closed: () => void = () => {}
    const serverSawClose = new Promise<void>((r) => (closed = r))
    const { f, origin } = await setup((req, res) => {
      res.on('close', () => closed())
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: 1\n\n')
    })
    const ac = new AbortController()
    const res = await f(`${origin}/x`, { method: 'POST', body: '{}', signal: ac.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    const why = new Error('the Codex CLI closed the connection')
    ac.abort(why)
    await expect(reader.read()).rejects.toBe(why)
    await serverSawClose
  })

  it('an abort before the headers rejects with the reason and the backend sees the request go', async () => {
    let closed: () => void = () => {}
    const serverSawClose = new Promise<void>((r) => (closed = r))
    let arrived: () => void = () => {}
    const requestArrived = new Promise<void>((r) => (arrived = r))
    const { f, origin } = await setup((req) => {
      req.socket.on('close', () => closed())
      arrived()
    })
    const ac = new AbortController()
    const pending = f(`${origin}/x`, { method: 'POST', body: '{}', signal: ac.signal })
    await requestArrived
    const why = new Error('gone')
    ac.abort(why)
    await expect(pending).rejects.toBe(why)
    await serverSawClose
  })

  it('cancelling while the backend keeps sending does not throw (the rest is dropped)', async () => {
    const { f, origin } = await setup((_req, res) => {
      res.writeHead(200)
      for (let i = 0; i < 200; i++) res.write(`chunk ${i} `.repeat(50))
      res.end()
    })
    for (let i = 0; i < 5; i++) {
      const res = await f(`${origin}/x`)
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      await reader.cancel()
      // Cancelled before the first read: what had arrived with the headers is dropped too.
      await (await f(`${origin}/x`)).body?.cancel()
    }
    expect(await (await f(`${origin}/x`)).text()).toContain('chunk 199')
  })

  it("sends fetch's default headers where the caller set none, and the caller's own as they are", async () => {
    const seen: Record<string, string | string[] | undefined>[] = []
    const { f, origin } = await setup((req, res) => {
      seen.push(req.headers)
      res.end('ok')
    })
    await (await f(`${origin}/x`)).text()
    await (
      await f(`${origin}/x`, { headers: { 'user-agent': 'codex_exec/0.171.0', accept: 'text/event-stream' } })
    ).text()
    expect(seen[0]).toMatchObject({
      accept: '*/*',
      'accept-language': '*',
      'sec-fetch-mode': 'cors',
      'user-agent': 'node',
      'accept-encoding': 'gzip, deflate',
    })
    expect(seen[1]).toMatchObject({ 'user-agent': 'codex_exec/0.171.0', accept: 'text/event-stream' })
  })

  it('decodes gzip as fetch does; an unknown coding is left as sent', async () => {
    const text = 'data: {"type":"response.completed"}\n\n'.repeat(20)
    const { f, origin } = await setup((req, res) => {
      if (req.url === '/gz') res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(text))
      else res.writeHead(200, { 'content-encoding': 'x-custom' }).end('raw')
    })
    const gz = await f(`${origin}/gz`)
    expect(await gz.text()).toBe(text)
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(await (await f(`${origin}/other`)).text()).toBe('raw')
  })

  it("fails as fetch fails: TypeError 'fetch failed' with the cause", async () => {
    const { f, origin } = await setup((_req, res) => void res.end())
    await server?.close()
    server = undefined
    const err = await f(`${origin}/x`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toBe('fetch failed')
    expect(((err as Error).cause as { code?: string }).code).toBe('ECONNREFUSED')
  })

  it('a redirect, a Request or a stream body goes to the real fetch', async () => {
    const fellBack: string[] = []
    const fallback: FetchFn = async (input) => {
      fellBack.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
      return new Response('from fetch')
    }
    const { f, origin } = await setup((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/there' }).end()
      else res.end('direct')
    }, fallback)
    expect(await (await f(`${origin}/moved`)).text()).toBe('from fetch')
    expect(await (await f(new Request(`${origin}/req`))).text()).toBe('from fetch')
    const stream = new ReadableStream({ start: (c) => c.close() })
    expect(await (await f(`${origin}/s`, { method: 'POST', body: stream, duplex: 'half' })).text()).toBe('from fetch')
    expect(await (await f(`${origin}/plain`)).text()).toBe('direct')
    expect(fellBack).toEqual([`${origin}/moved`, `${origin}/req`, `${origin}/s`])
  })
})
