import { afterEach, describe, expect, it } from 'vitest'
import { triggersRetry } from '../../upstream/answers.js'
import { callResponses, openCodeBody, startHarness, type Harness } from './harness.js'

/** Which alias the daemon would try first for this model (rotation.get's side-effect-free preview). */
async function firstInOrder(h: Harness): Promise<string> {
  const { order } = await h.rpc.call('rotation.get', { model: 'gpt-5.5' })
  const first = order.find((o) => o.health === 'ok')
  if (!first) throw new Error('no servable account in the order')
  return first.alias
}

const other = (alias: string): string => (alias === 'a' ? 'b' : 'a')

describe('plugin fetch: rotation within one call (spawned daemon)', () => {
  let h: Harness | undefined
  afterEach(async () => {
    if (h) expect(h.issuer.reuseDetected).toBe(0)
    await h?.close()
    h = undefined
  })

  async function twoAccounts(): Promise<Harness> {
    h = await startHarness()
    await h.addAccount('a')
    await h.addAccount('b')
    return h
  }

  it('429 on the first account: the same fetch call succeeds on the other, which is marked rate_limited', async () => {
    const h = await twoAccounts()
    const first = await firstInOrder(h)
    h.backend.setBehavior(`acct-${first}`, { status: 429 })
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('response.completed')
    const calls = h.backend.requests.filter((r) => r.path.endsWith('/codex/responses'))
    expect(calls.map((r) => [r.accountId, r.status])).toEqual([
      [`acct-${first}`, 429],
      [`acct-${other(first)}`, 200],
    ])
    const { accounts } = await h.rpc.call('accounts.list', {})
    expect(accounts.find((a) => a.alias === first)?.health).toBe('rate_limited')
    expect(accounts.find((a) => a.alias === other(first))?.health).toBe('ok')
  })

  it('every account limited: one answer OpenCode does not retry, with the earliest reset, after one try per account', async () => {
    const h = await twoAccounts()
    const now = Math.floor(Date.now() / 1000)
    h.backend.setBehavior('acct-a', { status: 429, resetsAt: now + 7200 })
    h.backend.setBehavior('acct-b', { status: 429, resetsAt: now + 3600 })
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(403)
    // b's reset, not a's (the daemon may round it up by the Retry-After it saw: allow a few seconds).
    const resetAt = Number(res.headers.get('x-opencode-multi-auth-resets-at'))
    expect(Math.abs(resetAt - (now + 3600) * 1000)).toBeLessThan(5000)
    const retryAfter = Number(res.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(3500)
    expect(retryAfter).toBeLessThanOrEqual(3605)
    const text = await res.text()
    const body = JSON.parse(text) as { error: { message: string; code: string; resets_at: string } }
    expect(body.error.code).toBe('all_accounts_limited')
    expect(body.error.message).toContain('usage limit')
    expect(body.error.message).toContain(
      `resets at ${new Date(resetAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    )
    expect(Math.abs(Date.parse(body.error.resets_at) - resetAt)).toBeLessThan(1000)
    // Neither the status nor the text may make OpenCode retry (it would, forever).
    expect(triggersRetry(body.error.message) || triggersRetry(text)).toBe(false)
    expect(h.backend.requests.filter((r) => r.path.endsWith('/codex/responses'))).toHaveLength(2)

    // The next request does not touch the backend at all: the daemon knows both are out.
    const again = await callResponses(h, openCodeBody())
    expect(again.status).toBe(403)
    expect(again.headers.get('x-opencode-multi-auth-resets-at')).toBe(String(resetAt))
    expect(h.backend.requests.filter((r) => r.path.endsWith('/codex/responses'))).toHaveLength(2)
  })

  it('402 deactivated workspace and an unsupported model move the call to another account', async () => {
    const h = await twoAccounts()
    const first = await firstInOrder(h)
    h.backend.setBehavior(`acct-${first}`, { status: 402 })
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(200)
    await res.text()
    expect((await h.account(first)).health).toBe('workspace_deactivated')

    h.backend.setBehavior(`acct-${first}`, 'ok')
    h.backend.setBehavior(`acct-${other(first)}`, { status: 400, modelUnsupported: true })
    // `first` is still deactivated for the daemon: the only one left cannot serve the model.
    const res2 = await callResponses(h, openCodeBody())
    expect(res2.status).toBe(400)
    expect(await res2.text()).toContain('not supported')
    expect((await h.account(other(first))).health).toBe('model_unsupported')
  })

  it('401: the daemon refreshes the account and the same call goes on with the new token', async () => {
    let revoked = ''
    h = await startHarness({ backend: { tokenValid: (t) => t !== revoked } })
    await h.addAccount('a')
    revoked = (await h.rpc.call('token.get', {})).accessToken
    // A refresh in the last 15 s already answers a 401 (several in-flight requests report one).
    await h.ageLastRefresh(60_000)
    const before = h.issuer.refreshCalls
    const res = await callResponses(h, openCodeBody())
    expect(res.status).toBe(200)
    await res.text()
    expect(h.issuer.refreshCalls).toBe(before + 1)
    // The refused request carries no accountId (the backend did not accept its token): take all of them.
    const calls = h.backend.requests.filter((r) => r.path.endsWith('/codex/responses'))
    expect(calls.map((r) => r.status)).toEqual([401, 200])
    expect(calls.map((r) => r.headers['chatgpt-account-id'])).toEqual(['acct-a', 'acct-a'])
    expect(calls[0].headers.authorization).not.toBe(calls[1].headers.authorization)
    expect((await h.account('a')).health).toBe('ok')
  })

  it('400 cyber_policy on the priority tier is retried once without it', async () => {
    h = await startHarness()
    await h.addAccount('a')
    h.backend.setBehavior('acct-a', { status: 400, cyberPolicy: true })
    const res = await callResponses(h, openCodeBody({ model: 'gpt-5.5-fast' }))
    expect(res.status).toBe(200)
    await res.text()
    const tiers = h.backend
      .requestsFor('acct-a')
      .map((r) => [(r.body as { service_tier?: string }).service_tier, r.status])
    expect(tiers).toEqual([
      ['priority', 400],
      [undefined, 200],
    ])
  })
})
