// Throwaway fake issuer + fake ChatGPT Codex backend. Logs every request as JSON lines.
// usage as CLI: PORT=0 MODE=ok|429|401 LOG=/path/log.jsonl node stub.mjs   (prints "listening <port>")
// usage as module: const s = await startStub({ mode: 'ok' }); s.port; s.requests; s.close()
import http from 'node:http'
import fs from 'node:fs'
import { makeJwt } from './lib.mjs'

export function sse(text = 'hi', model = 'gpt-5.5') {
  const id = 'resp_1',
    item = 'msg_1'
  const ev = (type, o) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 2,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 12,
  }
  const msg = (t) => ({
    type: 'message',
    id: item,
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text: t, annotations: [] }],
  })
  return [
    ev('response.created', { response: { id, object: 'response', model, status: 'in_progress', output: [] } }),
    ev('response.output_item.added', { output_index: 0, item: { ...msg(''), status: 'in_progress', content: [] } }),
    ev('response.output_text.delta', { item_id: item, output_index: 0, content_index: 0, delta: text }),
    ev('response.output_item.done', { output_index: 0, item: msg(text) }),
    ev('response.completed', {
      response: { id, object: 'response', model, status: 'completed', output: [msg(text)], usage },
    }),
  ].join('')
}

export const LIMIT_HEADERS = {
  'x-codex-primary-used-percent': '42',
  'x-codex-primary-window-minutes': '300',
  'x-codex-primary-reset-at': String(Math.floor(Date.now() / 1000) + 3600),
  'x-codex-secondary-used-percent': '7',
  'x-codex-secondary-window-minutes': '10080',
  'x-codex-secondary-reset-at': String(Math.floor(Date.now() / 1000) + 86400),
  'x-codex-credits-has-credits': 'false',
  'x-codex-credits-unlimited': 'false',
  'x-codex-credits-balance': '0',
}

export function startStub({ port = 0, mode = 'ok', log, tokenDelayMs = 0, accountId = 'acct-1' } = {}) {
  const requests = []
  let n = 0
  const state = { mode, tokenStatus: 200 }
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString()
      let body = raw
      try {
        body = JSON.parse(raw)
      } catch {}
      const rec = { t: new Date().toISOString(), method: req.method, url: req.url, headers: req.headers, body }
      requests.push(rec)
      if (log) fs.appendFileSync(log, JSON.stringify(rec) + '\n')
      if (/^https?:/.test(req.url)) rec.escaped = true // plain-http request sent through the proxy = internet attempt
      const u = req.url.split('?')[0]
      if (req.method === 'POST' && u.endsWith('/oauth/token')) {
        if (tokenDelayMs) await new Promise((r) => setTimeout(r, tokenDelayMs))
        if (state.tokenStatus !== 200) {
          res.writeHead(state.tokenStatus, { 'content-type': 'application/json' })
          return res.end(JSON.stringify({ error: { code: 'refresh_token_reused', message: 'reused' } }))
        }
        n++
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(
          JSON.stringify({
            access_token: makeJwt({ accountId, expIn: 10 * 86400 }),
            id_token: makeJwt({ accountId, expIn: 3600 }),
            refresh_token: `rt-stub-${n}`,
            expires_in: 864000,
            token_type: 'Bearer',
          }),
        )
      }
      if (req.method === 'POST' && u.endsWith('/codex/responses')) {
        if (state.mode === '429') {
          res.writeHead(429, {
            'content-type': 'application/json',
            'retry-after': '3600',
            ...LIMIT_HEADERS,
            'x-codex-primary-used-percent': '100',
          })
          return res.end(
            JSON.stringify({
              error: {
                type: 'usage_limit_reached',
                message: 'The usage limit has been reached',
                plan_type: 'plus',
                resets_at: Math.floor(Date.now() / 1000) + 3600,
              },
            }),
          )
        }
        if (state.mode === 'custom') {
          // STUB_STATUS, STUB_BODY, STUB_RETRY_AFTER (unset = no header)
          const h = { 'content-type': 'application/json' }
          if (process.env.STUB_RETRY_AFTER !== undefined) h['retry-after'] = process.env.STUB_RETRY_AFTER
          res.writeHead(Number(process.env.STUB_STATUS || 429), h)
          return res.end(
            process.env.STUB_BODY ||
              '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached"}}',
          )
        }
        if (state.mode === '401') {
          res.writeHead(401, { 'content-type': 'application/json' })
          return res.end('{"error":{"message":"unauthorized"}}')
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...LIMIT_HEADERS })
        return res.end(sse(body?.model === undefined ? 'hi' : 'hi'))
      }
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"detail":"Not Found"}')
    })
  })
  // Internet guard: run clients with HTTPS_PROXY/HTTP_PROXY=http://127.0.0.1:<port> and NO_PROXY=127.0.0.1,localhost;
  // any attempt to reach the internet then shows up here as a CONNECT (refused) instead of leaving the machine.
  server.on('connect', (req, sock) => {
    const rec = { t: new Date().toISOString(), method: 'CONNECT', url: req.url, headers: req.headers, escaped: true }
    requests.push(rec)
    if (log) fs.appendFileSync(log, JSON.stringify(rec) + '\n')
    sock.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
  })
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        requests,
        state,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.()
            server.close(r)
          }),
      }),
    ),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startStub({
    port: Number(process.env.PORT || 0),
    mode: process.env.MODE || 'ok',
    log: process.env.LOG,
  })
  console.log('listening', s.port)
}
