import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { http, pageHeaders, rpcBody, signIn } from './http.js'

let t: TestApp
let port: number
let cookie: string
let firstUrl: string

beforeAll(async () => {
  t = await startTestApp({ dashboardPort: 0, noKeepAlive: true })
  // Off until asked: no listener before dashboard.open.
  expect(t.app.components.dashboard.running).toBe(false)
  const link = await t.client.call('dashboard.open', {})
  firstUrl = link.url
  port = Number(new URL(link.url).port)
  cookie = await signIn(port, link.url)
})
afterAll(async () => t?.close())

describe('dashboard HTTP surface', () => {
  it('puts the one-time code in the fragment, never in the query, and listens on 127.0.0.1', () => {
    const url = new URL(firstUrl)
    expect(url.hostname).toBe('127.0.0.1')
    expect(url.search).toBe('')
    expect(url.hash).toMatch(/^#code=[A-Za-z0-9_-]{40,}$/)
  })

  it('sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const link = await t.client.call('dashboard.open', {})
    const res = await http(port, {
      method: 'POST',
      path: '/auth',
      headers: pageHeaders(port),
      body: JSON.stringify({ code: new URL(link.url).hash.slice('#code='.length) }),
    })
    expect(res.status).toBe(204)
    const set = String(res.headers['set-cookie'])
    expect(set).toMatch(/HttpOnly/)
    expect(set).toMatch(/SameSite=Strict/)
  })

  it('refuses a replayed one-time link', async () => {
    const code = new URL(firstUrl).hash.slice('#code='.length)
    const res = await http(port, {
      method: 'POST',
      path: '/auth',
      headers: pageHeaders(port),
      body: JSON.stringify({ code }),
    })
    expect(res.status).toBe(401)
    expect(res.headers['set-cookie']).toBeUndefined()
  })

  it('answers 401 to an API call without the cookie, or with a wrong one', async () => {
    const none = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port),
      body: rpcBody('daemon.status'),
    })
    expect(none.status).toBe(401)
    const wrong = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port, 'oma_dashboard=not-the-secret'),
      body: rpcBody('daemon.status'),
    })
    expect(wrong.status).toBe(401)
    const events = await http(port, { path: '/events' })
    expect(events.status).toBe(401)
  })

  it('serves JSON-RPC with the cookie, through the socket dispatcher, with no-store', async () => {
    const res = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port, cookie),
      body: rpcBody('daemon.status'),
    })
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const answer = JSON.parse(res.body) as { result: { version: string; storePath: string } }
    expect(answer.result.storePath).toBe(t.app.components.store.path)
    // Same schemas as the socket: bad params are -32602 with field errors.
    const bad = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port, cookie),
      body: rpcBody('accounts.get', { alias: '../x' }),
    })
    const err = JSON.parse(bad.body) as { error: { code: number; data: { fields: unknown[] } } }
    expect(err.error.code).toBe(ErrorCode.INVALID_PARAMS)
    expect(err.error.data.fields.length).toBeGreaterThan(0)
  })

  it.each(['token.get', 'token.report', 'accounts.add'])('answers %s over HTTP as method not found', async (method) => {
    const res = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port, cookie),
      body: rpcBody(method),
    })
    expect(res.status).toBe(200)
    expect((JSON.parse(res.body) as { error: { code: number } }).error.code).toBe(ErrorCode.METHOD_NOT_FOUND)
  })

  it('hides socket-only methods inside a batch too', async () => {
    const res = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port, cookie),
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'token.get', params: {} },
        { jsonrpc: '2.0', id: 2, method: 'rotation.get', params: {} },
      ]),
    })
    const answers = JSON.parse(res.body) as { id: number; error?: { code: number }; result?: unknown }[]
    expect(answers.find((a) => a.id === 1)?.error?.code).toBe(ErrorCode.METHOD_NOT_FOUND)
    expect(answers.find((a) => a.id === 2)?.result).toBeDefined()
  })

  it('refuses a foreign Host (DNS rebinding) on every path, the static shell included', async () => {
    for (const path of ['/', '/rpc']) {
      const res = await http(port, {
        method: path === '/' ? 'GET' : 'POST',
        path,
        headers: { ...pageHeaders(port, cookie), host: `evil.example:${port}` },
        body: path === '/' ? undefined : rpcBody('daemon.status'),
      })
      expect(res.status).toBe(421)
    }
  })

  it('refuses a POST from a foreign Origin, or with none, with 403', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null']) {
      const res = await http(port, {
        method: 'POST',
        path: '/rpc',
        headers: { ...pageHeaders(port, cookie), origin },
        body: rpcBody('rotation.setStrategy', { strategy: 'random' }),
      })
      expect(res.status).toBe(403)
    }
    const noOrigin = pageHeaders(port, cookie)
    delete noOrigin.origin
    const res = await http(port, { method: 'POST', path: '/rpc', headers: noOrigin, body: rpcBody('daemon.status') })
    expect(res.status).toBe(403)
    expect((await t.client.call('rotation.get', {})).strategy).toBe('round-robin')
  })

  it('refuses a form-encoded POST (a cross-site form cannot send JSON)', async () => {
    const res = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: { ...pageHeaders(port, cookie), 'content-type': 'text/plain' },
      body: rpcBody('daemon.status'),
    })
    expect(res.status).toBe(415)
  })

  it('serves the static shell with CSP default-src self and no secret in it', async () => {
    const res = await http(port, { path: '/' })
    expect(res.status).toBe(200)
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/)
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.body).toContain('<html')
    expect(res.body).not.toContain(cookie.split('=')[1])
    expect((await http(port, { path: '/../package.json' })).status).toBe(404)
  })

  it('refuses a body over 1 MiB and a batch over 100 entries', async () => {
    const big = await http(port, {
      method: 'POST',
      path: '/rpc',
      headers: pageHeaders(port, cookie),
      body: 'x'.repeat(1024 * 1024 + 10),
    }).catch(() => ({ status: 413 }))
    expect(big.status).toBe(413)
    const batch = JSON.stringify(
      Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'rotation.get' })),
    )
    const res = await http(port, { method: 'POST', path: '/rpc', headers: pageHeaders(port, cookie), body: batch })
    expect((JSON.parse(res.body) as { error: { code: number } }).error.code).toBe(ErrorCode.INVALID_REQUEST)
  })

  it('keeps the session secret and the link codes out of the log', async () => {
    await t.app.components.logger.close().catch(() => {})
    const log = readFileSync(t.dirs.logFile, 'utf8')
    expect(log).toContain('dashboard listening')
    expect(log).not.toContain(cookie.split('=')[1])
    expect(log).not.toContain(new URL(firstUrl).hash.slice('#code='.length))
  })
})
