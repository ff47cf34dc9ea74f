import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DaemonEvent } from '../../protocol/events.js'
import { MIN_RATE_LIMIT_MS } from '../../daemon/rotation/report.js'
import { startRotationApp, type RotationApp } from './app-support.js'

const MIN = 60_000
const HOUR = 3_600_000

describe('token.report: what the backend answered becomes health and limits', () => {
  let r: RotationApp
  beforeEach(async () => {
    r = await startRotationApp()
    await r.add('a', 1)
    await r.add('b', 2)
    await r.t.client.call('rotation.setStrategy', { strategy: 'use-up' })
  })
  afterEach(() => r.close())

  it('429 with a body resets_at an hour ahead → not served until then, then served again', async () => {
    expect(await r.serve(2)).toEqual(['a', 'a'])
    const resetsAt = Math.floor((r.clock.now() + HOUR) / 1000)
    const body = JSON.stringify({
      error: {
        type: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        plan_type: 'plus',
        resets_at: resetsAt,
      },
    })
    const answer = await r.t.client.call('token.report', {
      alias: 'a',
      status: 429,
      body,
      headers: { 'retry-after': '60' },
    })
    expect(answer).toEqual({ retry: true, health: 'rate_limited', cooldownUntil: resetsAt * 1000 })
    const view = await r.t.client.call('accounts.get', { alias: 'a' })
    expect(view.health).toBe('rate_limited')
    expect(view.until).toBe(resetsAt * 1000)
    expect(view.reason).toMatch(/usage limit reached on the plus plan/)

    expect(await r.serve(3)).toEqual(['b', 'b', 'b'])
    await r.clock.advance(HOUR - MIN)
    expect(await r.serve(2)).toEqual(['b', 'b'])
    await r.clock.advance(MIN)
    expect(await r.serve(2)).toEqual(['a', 'a'])
    expect((await r.t.client.call('accounts.get', { alias: 'a' })).health).toBe('ok')
  })

  it('429: the latest of resets_at, Retry-After, the used-up window’s reset, and now + 5 min', async () => {
    const now = r.clock.now()
    const at = async (alias: string, report: { body?: string; headers?: Record<string, string> }) => {
      await r.t.client.call('token.report', { alias, status: 429, ...report })
      return (await r.t.client.call('accounts.get', { alias })).until
    }
    // Nothing says when: five minutes.
    expect(await at('a', {})).toBe(now + MIN_RATE_LIMIT_MS)
    // Retry-After beyond the body's resets_at wins.
    const body = JSON.stringify({
      error: { type: 'usage_limit_reached', resets_at: Math.floor((now + 20 * MIN) / 1000) },
    })
    expect(await at('b', { body, headers: { 'Retry-After': String(40 * 60) } })).toBe(now + 40 * MIN)
    // The weekly window is used up (classified by length, though it came as "primary"): its reset wins.
    await r.add('c', 3)
    const weeklyReset = Math.floor((now + 3 * 24 * HOUR) / 1000)
    const headers = {
      'x-codex-primary-used-percent': '100',
      'x-codex-primary-window-minutes': '10080',
      'x-codex-primary-reset-at': String(weeklyReset),
      'x-codex-secondary-used-percent': '40',
      'x-codex-secondary-window-minutes': '300',
      'x-codex-secondary-reset-at': String(Math.floor((now + HOUR) / 1000)),
      'retry-after': '600',
    }
    expect(await at('c', { body, headers })).toBe(weeklyReset * 1000)
    const limits = (await r.t.client.call('limits.get', { alias: 'c' })).accounts[0].limits
    expect(limits.weekly).toMatchObject({ usedPercent: 100, windowMinutes: 10080, resetAt: weeklyReset * 1000 })
    expect(limits.fiveHour).toMatchObject({ usedPercent: 40, remainingPercent: 60, windowMinutes: 300 })
  })

  it('402 deactivated_workspace → workspace_deactivated for 30 min; the answer says retry elsewhere', async () => {
    const answer = await r.t.client.call('token.report', {
      alias: 'a',
      status: 402,
      body: JSON.stringify({ detail: { code: 'deactivated_workspace' } }),
    })
    expect(answer).toEqual({ retry: true, health: 'workspace_deactivated', cooldownUntil: r.clock.now() + 30 * MIN })
    expect(await r.serve(1)).toEqual(['b'])
    await r.clock.advance(30 * MIN)
    expect(await r.serve(1)).toEqual(['a'])
  })

  it('400 model not supported → model_unsupported for that model only, 30 min', async () => {
    const body = JSON.stringify({
      detail: "The 'gpt-9-codex' model is not supported when using Codex with a ChatGPT account.",
    })
    const answer = await r.t.client.call('token.report', { alias: 'a', status: 400, body, model: 'gpt-9-codex' })
    expect(answer).toMatchObject({ retry: true, health: 'model_unsupported' })
    expect(await r.serve(1, { model: 'gpt-9-codex' })).toEqual(['b'])
    expect(await r.serve(1, { model: 'gpt-5-codex' })).toEqual(['a'])
    await r.clock.advance(30 * MIN)
    expect(await r.serve(1, { model: 'gpt-9-codex' })).toEqual(['a'])
  })

  it('other 400s and 5xx leave the account alone; only 5xx is worth a retry elsewhere', async () => {
    const bad = await r.t.client.call('token.report', {
      alias: 'a',
      status: 400,
      body: JSON.stringify({ detail: 'Store must be set to false' }),
    })
    expect(bad).toEqual({ retry: false, health: 'ok' })
    const down = await r.t.client.call('token.report', { alias: 'a', status: 502, body: 'bad gateway' })
    expect(down).toEqual({ retry: true, health: 'ok' })
    expect(await r.serve(1)).toEqual(['a'])
  })

  it('403 that is not about the token → a short cooldown, not auth_invalid', async () => {
    const answer = await r.t.client.call('token.report', {
      alias: 'a',
      status: 403,
      body: JSON.stringify({ error: { message: 'Forbidden', code: null } }),
    })
    expect(answer).toMatchObject({ retry: true, health: 'cooldown' })
    expect((await r.t.client.call('accounts.get', { alias: 'a' })).health).toBe('cooldown')
    expect(await r.serve(1)).toEqual(['b'])
  })

  it('a successful response’s x-codex-* headers update the windows (credits kept) and fire limits.updated', async () => {
    const events: DaemonEvent[] = []
    r.t.app.components.bus.subscribe(['limits.updated'], (e) => events.push(e))
    const now = r.clock.now()
    await r.t.client.call('token.report', {
      alias: 'a',
      status: 200,
      headers: {
        'X-Codex-Primary-Used-Percent': '25',
        'X-Codex-Primary-Window-Minutes': '300',
        'X-Codex-Primary-Reset-At': String(Math.floor((now + HOUR) / 1000)),
        'x-codex-credits-has-credits': 'true',
        'x-codex-credits-balance': '12.5',
      },
    })
    expect(events).toEqual([expect.objectContaining({ type: 'limits.updated', alias: 'a' })])
    await r.t.client.call('token.report', {
      alias: 'a',
      status: 200,
      headers: { 'x-codex-secondary-used-percent': '70', 'x-codex-secondary-window-minutes': '10080' },
    })
    let limits = (await r.t.client.call('limits.get', { alias: 'a' })).accounts[0].limits
    expect(limits).toMatchObject({
      confidence: 'fresh',
      fiveHour: { remainingPercent: 75 },
      weekly: { remainingPercent: 30 },
      credits: { hasCredits: true, balance: '12.5' },
    })
    // Confidence is computed when asked, not stored.
    await r.clock.advance(10 * MIN)
    limits = (await r.t.client.call('limits.get', { alias: 'a' })).accounts[0].limits
    expect(limits.confidence).toBe('stale')
    expect((await r.t.client.call('limits.get', {})).accounts.map((x) => x.alias)).toEqual(['a', 'b'])
  })

  it('limits.get for an unknown alias → ACCOUNT_NOT_FOUND', async () => {
    await expect(r.t.client.call('limits.get', { alias: 'nobody' })).rejects.toMatchObject({ code: -32001 })
  })
})
