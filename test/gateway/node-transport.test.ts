/**
 * The gateway's transport for the Responses loop (daemon/gateway/node-transport.ts) and the
 * pipe that writes its answer to Codex (pipe.ts): what fetch would send and give, the
 * headers deadline, the caller's abort, a redirect, a JSON caller, and a silent stream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeTransport, type NodeAnswer } from '../../daemon/gateway/node-transport.js'
import { pipeAnswer } from '../../daemon/gateway/pipe.js'
import { UpstreamTimeoutError } from '../../upstream/send.js'
import type { StreamTap } from '../../upstream/response.js'
import { responseEvents, sseFrame } from '../fakes/backend-payloads.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
const servers: Server[] = []
const agent = new Agent()

async function serve(handler: Handler): Promise<{ url: string; closed: Promise<void> }> {
  let onClose: () => void = () => {}
  const closed = new Promise<void>((r) => (onClose = r))
  const server = createServer((req, res) => {
    req.once('close', onClose)
    handler(req, res)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed }
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

const transport = nodeTransport(
  () => agent,
  (i, init) => fetch(i, init),
)
const request = (url: string, over: { signal?: AbortSignal; headersTimeoutMs?: number } = {}) =>
  transport.send({
    url: `${url}/backend-api/codex/responses`,
    headers: { 'content-type': 'application/json', 'x-codex-own': 'kept' },
    body: '{"model":"gpt-5.5"}',
    headersTimeoutMs: 5000,
    ...over,
  })
const sse = responseEvents('OK', 'gpt-5.5', 1_800_000_000).map(sseFrame).join('')

function tapLog(): StreamTap & { ended: boolean[]; bytes: number } {
  const t = {
    ended: [] as boolean[],
    bytes: 0,
    chunk: (v: Uint8Array) => void (t.bytes += v.length),
    end: (completed: boolean) => void t.ended.push(completed),
  }
  return t
}

describe('the gateway transport', () => {
  it('sends what fetch would send and gives the stream decoded, its headers less the framing', async () => {
    let seen: IncomingMessage['headers'] = {}
    const { url } = await serve((req, res) => {
      seen = req.headers
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'content-encoding': 'gzip',
        'x-codex-primary-used-percent': '5',
      })
      res.end(gzipSync(sse))
    })
    const attempt = await request(url)
    expect(attempt.status).toBe(200)
    expect(attempt.headers.get('x-codex-primary-used-percent')).toBe('5')
    expect(seen['x-codex-own']).toBe('kept')
    expect(seen['accept-encoding']).toBe('gzip, deflate')
    expect(seen['user-agent']).toBe('node')
    const answer = (await attempt.deliver({ stream: true, idleMs: 5000, tap: undefined })) as NodeAnswer
    expect(answer.headers['content-encoding']).toBeUndefined()
    expect(answer.headers['x-codex-primary-used-percent']).toBe('5')
    let text = ''
    for await (const c of answer.body) text += String(c)
    expect(text).toBe(sse)
  })

  it('no response headers in time: UpstreamTimeoutError, and the backend sees the request go', async () => {
    const { url, closed } = await serve(() => {})
    await expect(request(url, { headersTimeoutMs: 100 })).rejects.toBeInstanceOf(UpstreamTimeoutError)
    await closed
  })

  it("the caller's abort rejects with its reason and ends the backend request", async () => {
    const { url, closed } = await serve(() => {})
    const ac = new AbortController()
    const pending = request(url, { signal: ac.signal })
    setImmediate(() => ac.abort(new Error('codex went away')))
    await expect(pending).rejects.toThrow('codex went away')
    await closed
  })

  it("reads a failure's body as text; follows a redirect; gives a JSON caller the completed response", async () => {
    const { url } = await serve((req, res) => {
      if (req.url?.startsWith('/moved')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        return void res.end(sse)
      }
      res.writeHead(429, { 'content-type': 'application/json' })
      res.end('{"error":{"type":"usage_limit_reached"}}')
    })
    const failed = await request(url)
    expect(failed.status).toBe(429)
    expect(await failed.text()).toContain('usage_limit_reached')

    const { url: other } = await serve((_req, res) => {
      res.writeHead(307, { location: `${url}/moved` })
      res.end()
    })
    const moved = await request(other)
    expect(moved.status).toBe(200)
    const json = (await moved.deliver({ stream: false, idleMs: 5000, tap: undefined })) as Response
    expect(json.headers.get('content-type')).toBe('application/json')
    expect(await json.json()).toMatchObject({ status: 'completed' })
  })
})

describe('the pipe to Codex', () => {
  async function throughPipe(backend: Handler, idleMs: number, tap: StreamTap) {
    const up = await serve(backend)
    const codex = await serve((_req, res) => {
      void request(up.url).then(async (a) =>
        pipeAnswer(res, (await a.deliver({ stream: true, idleMs, tap })) as NodeAnswer),
      )
    })
    return { up, codex }
  }

  it('passes a stream through whole, the tap seeing every byte and the end as completed', async () => {
    const tap = tapLog()
    const { codex } = await throughPipe(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(sse)
      },
      5000,
      tap,
    )
    const res = await fetch(`${codex.url}/`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(await res.text()).toBe(sse)
    expect(tap.bytes).toBe(Buffer.byteLength(sse))
    expect(tap.ended).toEqual([true])
  })

  it('a stream that goes silent ends for Codex, and the backend request with it', async () => {
    const tap = tapLog()
    const first = sse.slice(0, sse.indexOf('\n\n') + 2)
    const { up, codex } = await throughPipe(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(first)
      },
      150,
      tap,
    )
    const res = await fetch(`${codex.url}/`)
    await expect(res.text()).rejects.toThrow()
    await up.closed
    expect(tap.ended).toEqual([false])
  })
})
