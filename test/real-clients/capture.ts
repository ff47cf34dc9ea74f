/**
 * A capture server for the real OpenCode's own ChatGPT path, which always calls
 * https://chatgpt.com/backend-api/codex/responses. It is OpenCode's HTTPS_PROXY: a CONNECT
 * to chatgpt.com:443 is answered here with a certificate for chatgpt.com from a test CA
 * (OpenCode, on Bun, trusts it through NODE_EXTRA_CA_CERTS), so the request never leaves
 * the machine; any other CONNECT is refused and recorded, as the guard does. Answers the
 * Responses endpoint with the five-event SSE stream both clients accept.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext, TLSSocket } from 'node:tls'
import { responseEvents, sseFrame } from '../fakes/backend-payloads.js'
import { makeTestCa } from '../fakes/tls.js'

export interface Captured {
  path: string
  headers: Record<string, string>
  body: Record<string, unknown>
}

export interface Capture {
  proxyUrl: string
  /** PEM file of the test CA, for NODE_EXTRA_CA_CERTS. */
  caFile: string
  requests: Captured[]
  /** CONNECTs to anything but chatgpt.com, and plain proxied requests: attempts to reach the internet. */
  attempts: string[]
  close(): Promise<void>
}

export async function startCapture(): Promise<Capture> {
  const dir = mkdtempSync(join(tmpdir(), 'oma-capture-'))
  const { caFile: ca, key, cert } = makeTestCa(dir, 'chatgpt.com')
  const requests: Captured[] = []
  const attempts: string[] = []
  const context = createSecureContext({ key, cert })

  const backend = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
      } catch {
        // not JSON: recorded empty
      }
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      const path = (req.url ?? '/').split('?')[0]
      requests.push({ path, headers, body })
      if (req.method !== 'POST' || !path.endsWith('/codex/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}')
        return
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const model = typeof body.model === 'string' ? body.model : 'gpt-5.5'
      for (const e of responseEvents('OK', model, Math.floor(Date.now() / 1000))) res.write(sseFrame(e))
      res.end()
    })
  })

  const proxy = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`)
    res.writeHead(403).end()
  })
  proxy.on('connect', (req: IncomingMessage, socket) => {
    if (req.url !== 'chatgpt.com:443') {
      attempts.push(`CONNECT ${req.url}`)
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n', () => {
      const tls = new TLSSocket(socket, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] })
      backend.emit('connection', tls)
    })
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
  const addr = proxy.address()
  return {
    proxyUrl: `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`,
    caFile: ca,
    requests,
    attempts,
    close: () =>
      new Promise<void>((r) => {
        backend.closeAllConnections()
        proxy.closeAllConnections()
        proxy.close(() => {
          rmSync(dir, { recursive: true, force: true })
          r()
        })
      }),
  }
}
