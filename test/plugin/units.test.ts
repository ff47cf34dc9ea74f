import { describe, expect, it } from 'vitest'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import { allLimited, openCodeRetries, triggersRetry } from '../../upstream/answers.js'
import { answerNoToken } from '../../upstream/outcome.js'
import { parseRequestBody, shapeBody, splitModel, wantsPriority } from '../../upstream/request.js'
import { completedResponse, reportHeaders } from '../../upstream/response.js'
import { SessionAccounts } from '../../upstream/sessions.js'
import * as entry from '../../client/plugin/index.js'

describe('the package entry', () => {
  it('exports only the plugin function (OpenCode calls every export and rejects anything else)', () => {
    const values = new Set(Object.values(entry))
    expect(values.size).toBe(1)
    expect([...values].every((v) => typeof v === 'function')).toBe(true)
    expect(entry.default).toBe(entry.OpencodeMultiAuth)
  })
})

describe('request shaping (pure)', () => {
  it('splits effort and -fast suffixes in either order, and leaves other names alone', () => {
    expect(splitModel('gpt-5.5')).toEqual({ model: 'gpt-5.5', fast: false })
    expect(splitModel('gpt-5.5-xhigh')).toEqual({ model: 'gpt-5.5', effort: 'xhigh', fast: false })
    expect(splitModel('gpt-5.5-fast')).toEqual({ model: 'gpt-5.5', fast: true })
    expect(splitModel('gpt-5.5-high-fast')).toEqual({ model: 'gpt-5.5', effort: 'high', fast: true })
    expect(splitModel('gpt-5.5-fast-low')).toEqual({ model: 'gpt-5.5', effort: 'low', fast: true })
    expect(splitModel('gpt-5.1-codex-mini')).toEqual({ model: 'gpt-5.1-codex-mini', fast: false })
    expect(splitModel('gpt-5.1-codex-max-none')).toEqual({ model: 'gpt-5.1-codex-max', effort: 'none', fast: false })
  })

  it('parses the body with zod at the boundary and keeps unknown fields', () => {
    const ok = parseRequestBody(JSON.stringify({ model: 'm', tools: [{ type: 'function' }], input: 'hi' }))
    expect(ok.ok && ok.body.tools).toEqual([{ type: 'function' }])
    expect(parseRequestBody('nope').ok).toBe(false)
    expect(parseRequestBody(JSON.stringify({ model: 3 })).ok).toBe(false)
  })

  it('shapes a copy: the parsed body is reused unchanged by the next attempt', () => {
    const parsed = parseRequestBody(
      JSON.stringify({ model: 'm-fast', input: [{ type: 'message', id: 'x' }], store: true }),
    )
    if (!parsed.ok) throw new Error('parse')
    const a = shapeBody(parsed.body, { stripBefore: 0, withoutPriority: false })
    const b = shapeBody(parsed.body, { stripBefore: 0, withoutPriority: true })
    expect(a.service_tier).toBe('priority')
    expect(b.service_tier).toBeUndefined()
    expect(parsed.body.store).toBe(true)
    expect((parsed.body.input as { id?: string }[])[0].id).toBe('x')
    expect(wantsPriority(parsed.body)).toBe(true)
  })

  it('strips encrypted reasoning only before the switch point', () => {
    const s = new SessionAccounts(2)
    expect(s.stripBefore('k', 'a', 3)).toBe(0)
    s.served('k', 'a', 0)
    expect(s.stripBefore('k', 'a', 5)).toBe(0)
    expect(s.stripBefore('k', 'b', 5)).toBe(5)
    s.served('k', 'b', 5)
    expect(s.stripBefore('k', 'b', 9)).toBe(5)
    // Bounded: the oldest conversation is forgotten.
    s.served('k2', 'a', 0)
    s.served('k3', 'a', 0)
    expect(s.stripBefore('k', 'a', 9)).toBe(0)
  })
})

describe('response handling (pure)', () => {
  it('reports x-codex-*, other limit families and retry-after, nothing else', () => {
    const h = new Headers({
      'x-codex-primary-used-percent': '5',
      'x-foo-secondary-reset-at': '9',
      'retry-after': '3',
      'set-cookie': 'secret',
      authorization: 'Bearer nope',
    })
    expect(reportHeaders(h)).toEqual({
      'x-codex-primary-used-percent': '5',
      'x-foo-secondary-reset-at': '9',
      'retry-after': '3',
    })
  })

  it('finds response.completed in an SSE text, and says why when it is missing', () => {
    const sse =
      'event: response.created\ndata: {"type":"response.created"}\n\nevent: response.completed\ndata: {"type":"response.completed","response":{"id":"r"}}\n\n'
    expect(completedResponse(sse)).toEqual({ ok: true, response: { id: 'r' } })
    const failed = 'data: {"type":"response.failed","response":{"error":{"message":"boom"}}}\n\n'
    expect(completedResponse(failed)).toEqual({ ok: false, message: 'boom' })
  })
})

describe('the "every account is limited" answer', () => {
  const now = Date.parse('2026-11-28T10:00:00Z')

  it('uses a status and a text OpenCode does not retry, whatever the numbers', () => {
    expect(openCodeRetries(403)).toBe(false)
    for (const [resetAt, accounts] of [
      [now + 4_290_000, 2],
      [now + 500 * 60_000, 3],
      [now + 9 * 86_400_000 + 123_456, 429],
      [undefined, 1],
    ] as const) {
      const res = allLimited({ resetAt, accounts, now })
      expect(res.status).toBe(403)
      expect(openCodeRetries(res.status)).toBe(false)
    }
  })

  it('never puts a retry trigger in the text (a 3-digit run such as 429 or 500 would be one)', async () => {
    const risky = allLimited({ resetAt: now + 3_600_000, accounts: 500, now })
    const text = await risky.text()
    expect(triggersRetry(text)).toBe(false)
    expect(text).toContain('usage limit')
  })

  it('opt-in 429 (OPENCODE_MULTI_AUTH_LIMIT_STATUS=429) keeps Retry-After so OpenCode waits for the reset', () => {
    const res = allLimited({ resetAt: now + 90_000, accounts: 2, now, status: 429 })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('90')
  })

  it('force mode pinned to a limited account: the same answer, with its reset', async () => {
    const err = new RpcError(ErrorCode.RATE_LIMITED, 'forced account a cannot serve', {
      alias: 'a',
      health: 'rate_limited',
      until: now + 60_000,
    })
    const res = answerNoToken(err, undefined, now)
    expect(res.status).toBe(403)
    expect(res.headers.get('retry-after')).toBe('60')
    const pinnedOut = answerNoToken(
      new RpcError(ErrorCode.RATE_LIMITED, 'x', { alias: 'a', until: null }),
      undefined,
      now,
    )
    expect(((await pinnedOut.json()) as { error: { message: string } }).error.message).toContain('use --clear')
  })
})
