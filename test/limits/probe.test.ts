import { afterEach, describe, expect, it } from 'vitest'
import { systemClock, type Clock } from '../../daemon/deps.js'
import { parseUsage } from '../../daemon/limits/usage.js'
import { ErrorCode } from '../../protocol/errors.js'
import { addAccount } from '../helpers/accounts.js'
import { probeEvents, startLimitsApp, usageRequests, type LimitsApp } from './support.js'

let open: LimitsApp | undefined
afterEach(async () => {
  await open?.close()
  open = undefined
})

async function start(opts: Parameters<typeof startLimitsApp>[0] = {}): Promise<LimitsApp> {
  open = await startLimitsApp(opts)
  return open
}

describe('limits.refresh: the usage-endpoint probe', () => {
  it('records both windows by length and the credits; limits.get then says fresh', async () => {
    const { t, issuer, backend } = await start()
    const { alias } = await addAccount(t.client, issuer, 1)
    const nowS = Math.floor(Date.now() / 1000)
    backend.setUsage('acct-1', {
      primaryUsedPercent: 42,
      secondaryUsedPercent: 7,
      primaryResetAt: nowS + 3600,
      hasCredits: true,
      balance: '12.5',
    })
    const ev = await probeEvents(t.client)
    const state = await t.client.call('limits.refresh', { alias })
    expect(state.running ?? state.queued[0]).toBe(alias)
    expect(await ev.outcome(alias)).toMatchObject({ ok: true, source: 'probe' })

    const [req] = usageRequests(backend)
    expect(req.headers).toMatchObject({ originator: 'codex_cli_rs', 'chatgpt-account-id': 'acct-1' })
    const { accounts } = await t.client.call('limits.get', { alias })
    const l = accounts[0].limits
    expect(l.confidence).toBe('fresh')
    expect(l.fiveHour).toMatchObject({
      windowMinutes: 300,
      usedPercent: 42,
      remainingPercent: 58,
      resetAt: (nowS + 3600) * 1000,
    })
    expect(l.weekly).toMatchObject({ windowMinutes: 10_080, usedPercent: 7, remainingPercent: 93 })
    expect(l.credits).toEqual({ hasCredits: true, unlimited: false, balance: '12.5' })
    expect(t.app.components.store.data.accounts[alias].lastLimitProbeAt).toBeGreaterThan(0)
    expect(await t.client.call('limits.stop', {})).toEqual({
      queued: [],
      running: null,
      results: [{ alias, ok: true }],
    })
    // Reading usage spends nothing: no refresh, no request to /codex/responses.
    expect(issuer.refreshCalls).toBe(0)
    expect(backend.requestsFor('acct-1')).toHaveLength(0)
  })

  it('a 403 from the usage endpoint is a limits error only: health stays ok; a later success clears it', async () => {
    const { t, issuer, backend } = await start()
    const { alias } = await addAccount(t.client, issuer, 1)
    backend.setUsageStatus('acct-1', 403)
    const ev = await probeEvents(t.client)
    await t.client.call('limits.refresh', {})
    expect(await ev.outcome(alias)).toMatchObject({ ok: false, error: expect.stringMatching(/HTTP 403/) as unknown })
    const view = await t.client.call('accounts.get', { alias })
    expect(view.health).toBe('ok')
    expect(view.limits).toMatchObject({ confidence: 'error', error: expect.stringMatching(/403/) as unknown })
    expect(t.app.components.store.data.accounts[alias].authInvalid).toBeUndefined()
    expect((await t.client.call('token.get', {})).alias).toBe(alias)
    expect(issuer.refreshCalls).toBe(0)

    backend.setUsageStatus('acct-1', undefined)
    const from = ev.events.length
    await t.client.call('limits.refresh', { alias })
    expect(await ev.outcome(alias, from)).toMatchObject({ ok: true })
    const { accounts } = await t.client.call('limits.get', { alias })
    expect(accounts[0].limits.confidence).toBe('fresh')
    expect(accounts[0].limits.error).toBeUndefined()
    expect(t.app.components.store.data.accounts[alias].lastLimitErrorAt).toBeUndefined()
  })

  it('an expiring account is refreshed once, through the Refresher, before the probe (no reuse)', async () => {
    const { t, issuer, backend } = await start()
    const { alias, tokens } = await addAccount(t.client, issuer, 1, 30)
    const ev = await probeEvents(t.client)
    // token.get races the probe for the same expiring token: single-flight makes it one refresh.
    const [, got] = await Promise.all([t.client.call('limits.refresh', { alias }), t.client.call('token.get', {})])
    expect(await ev.outcome(alias)).toMatchObject({ ok: true })
    expect(issuer.refreshCalls).toBe(1)
    expect(issuer.reuseDetected).toBe(0)
    const [req] = usageRequests(backend)
    expect(req.headers.authorization).toBe(`Bearer ${got.accessToken}`)
    expect(got.accessToken).not.toBe(tokens.accessToken)
  })

  it('a 401 from the usage endpoint refreshes once and reads again with the new token', async () => {
    // The clock runs 20 s ahead after the add, so the add's lastRefresh is not "a refresh this recent".
    let offset = 0
    const clock: Clock = { ...systemClock, now: () => Date.now() + offset }
    let spent = ''
    const { t, issuer, backend } = await start({ clock, backend: { tokenValid: (tok) => tok !== spent } })
    const { alias, tokens } = await addAccount(t.client, issuer, 1)
    spent = tokens.accessToken
    offset = 20_000
    const ev = await probeEvents(t.client)
    await t.client.call('limits.refresh', { alias })
    expect(await ev.outcome(alias)).toMatchObject({ ok: true })
    expect(issuer.refreshCalls).toBe(1)
    expect(issuer.reuseDetected).toBe(0)
    expect(usageRequests(backend).map((r) => r.status)).toEqual([401, 200])
    expect((await t.client.call('accounts.get', { alias })).health).toBe('ok')
  })

  it('refuses an unknown alias (-32001), a disabled account (-32006), and an empty store (-32006)', async () => {
    const { t, issuer } = await start()
    await expect(t.client.call('limits.refresh', {})).rejects.toMatchObject({ code: ErrorCode.LIMITS_UNAVAILABLE })
    await addAccount(t.client, issuer, 1, undefined, 'work')
    await addAccount(t.client, issuer, 2, undefined, 'home')
    await expect(t.client.call('limits.refresh', { alias: 'nobody' })).rejects.toMatchObject({
      code: ErrorCode.ACCOUNT_NOT_FOUND,
    })
    await t.client.call('accounts.setEnabled', { alias: 'home', enabled: false })
    await expect(t.client.call('limits.refresh', { alias: 'home' })).rejects.toMatchObject({
      code: ErrorCode.LIMITS_UNAVAILABLE,
      message: expect.stringMatching(/home is disabled/) as unknown,
    })
    // {} skips the disabled account rather than failing.
    const ev = await probeEvents(t.client)
    const state = await t.client.call('limits.refresh', {})
    expect([state.running, ...state.queued]).toEqual(['work'])
    expect(await ev.outcome('work')).toMatchObject({ ok: true })
  })

  it('limits.stop drops queued probes (one alias, then all); the one running finishes', async () => {
    let release = (): void => {}
    const gate = new Promise<void>((r) => (release = r))
    const gated: typeof fetch = async (input, init) => {
      if (urlOf(input).endsWith('/codex/usage')) await gate
      return fetch(input, init)
    }
    const { t, issuer, backend } = await start({ fetch: gated })
    for (const [n, a] of [
      [1, 'a1'],
      [2, 'a2'],
      [3, 'a3'],
    ] as const)
      await addAccount(t.client, issuer, n, undefined, a)
    const ev = await probeEvents(t.client)
    expect(await t.client.call('limits.refresh', {})).toMatchObject({ running: 'a1', queued: ['a2', 'a3'] })
    expect(await t.client.call('limits.stop', { alias: 'a3' })).toMatchObject({ running: 'a1', queued: ['a2'] })
    expect(await t.client.call('limits.stop', {})).toMatchObject({ running: 'a1', queued: [] })
    await expect(t.client.call('limits.stop', { alias: 'nobody' })).rejects.toMatchObject({
      code: ErrorCode.ACCOUNT_NOT_FOUND,
    })
    expect(ev.events.flatMap((e) => ('change' in e ? e.aliases : []))).toEqual(['a3', 'a2'])
    release()
    expect(await ev.outcome('a1')).toMatchObject({ ok: true, pending: 0 })
    expect(await t.client.call('limits.stop', {})).toEqual({
      queued: [],
      running: null,
      results: [{ alias: 'a1', ok: true }],
    })
    expect(usageRequests(backend).map((r) => r.accountId)).toEqual(['acct-1'])
  })
})

describe('limits probe and daemon stop', () => {
  it('a stop aborts a probe stuck on the network at once, and records no limits error', async () => {
    let entered = (): void => {}
    const inFetch = new Promise<void>((r) => (entered = r))
    const stuck: typeof fetch = async (input, init) => {
      if (!urlOf(input).endsWith('/codex/usage')) return fetch(input, init)
      entered()
      return new Promise<Response>(() => {}) // ignores the abort signal, like a wedged socket
    }
    const app = await start({ fetch: stuck })
    const { alias } = await addAccount(app.t.client, app.issuer, 1)
    await app.t.client.call('limits.refresh', { alias })
    await inFetch
    const startedAt = Date.now()
    open = undefined
    await app.close()
    // Well under the 15 s request deadline: the stop did not wait for it.
    expect(Date.now() - startedAt).toBeLessThan(5_000)
    expect(app.t.app.components.store.data.accounts[alias].lastLimitErrorAt).toBeUndefined()
  })
})

describe('usage payload parsing', () => {
  it('classifies windows by length, not by slot (a weekly primary lands in weekly)', () => {
    const now = Date.UTC(2026, 10, 28, 12)
    const parsed = parseUsage(
      {
        plan_type: 'pro',
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: {
            used_percent: 12,
            limit_window_seconds: 604_800,
            reset_after_seconds: 86_400,
            reset_at: null,
          },
          secondary_window: { used_percent: 80, limit_window_seconds: 18_000, reset_at: now / 1000 + 600 },
        },
        credits: { has_credits: false, unlimited: true, balance: 3 },
        extra: 'ignored',
      },
      now,
    )
    expect(parsed).toEqual({
      planType: 'pro',
      limits: {
        weekly: { windowMinutes: 10_080, usedPercent: 12, resetAt: now + 86_400_000 },
        fiveHour: { windowMinutes: 300, usedPercent: 80, resetAt: now + 600_000 },
        credits: { hasCredits: false, unlimited: true, balance: '3' },
      },
    })
    expect(() => parseUsage({ rate_limit: 'nope' }, now)).toThrow(/unusable/)
    expect(() => parseUsage({}, now)).toThrow(/no limits/)
  })
})

function urlOf(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
}
