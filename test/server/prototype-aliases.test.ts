/**
 * Aliases come from outside, so names that Object.prototype has
 * (`toString`, `constructor`, ...) must be just names no account has: every
 * method that takes an alias answers them exactly as it answers an unknown
 * alias, and changes nothing — no refresh, no health change, no write.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { RpcError } from '../../protocol/errors.js'
import type { MethodName, ParamsOf } from '../../protocol/methods.js'
import { useIssuerApp } from '../helpers/issuer-app.js'

const PROTO_NAMES = ['toString', 'constructor', 'valueOf', '__proto__', 'hasOwnProperty', 'isPrototypeOf'] as const
const UNKNOWN = 'no-such-account'

const pair = (t: { accessToken: string; refreshToken: string; idToken: string }) => ({
  accessToken: t.accessToken,
  refreshToken: t.refreshToken,
  idToken: t.idToken,
})

type Call = { method: MethodName; params: (alias: string) => Record<string, unknown> }

const CALLS: Call[] = [
  { method: 'accounts.get', params: (alias) => ({ alias }) },
  { method: 'accounts.remove', params: (alias) => ({ alias }) },
  { method: 'accounts.setEnabled', params: (alias) => ({ alias, enabled: false }) },
  { method: 'accounts.update', params: (alias) => ({ alias, tags: ['x'], notes: 'n', weight: 0.5 }) },
  { method: 'accounts.refresh', params: (alias) => ({ alias }) },
  { method: 'rotation.force', params: (alias) => ({ alias }) },
  { method: 'limits.get', params: (alias) => ({ alias }) },
  { method: 'limits.refresh', params: (alias) => ({ alias }) },
  { method: 'limits.stop', params: (alias) => ({ alias }) },
  { method: 'codex.use', params: (alias) => ({ alias }) },
  { method: 'login.wait', params: (alias) => ({ loginId: alias, timeoutMs: 10 }) },
  { method: 'settings.update', params: (alias) => ({ accountWeights: { [alias]: 0.5 } }) },
  ...[401, 403, 429, 500, 200].map((status): Call => ({
    method: 'token.report',
    params: (alias) => ({
      alias,
      status,
      headers: { 'x-codex-primary-used-percent': '100', 'retry-after': '60' },
      body: status === 429 ? '{"error":{"type":"usage_limit_reached"}}' : undefined,
    }),
  })),
]

/** The answer with the alias written as a placeholder, so answers for two names compare. */
async function answer(t: ReturnType<typeof useIssuerApp>['t'], call: Call, alias: string): Promise<unknown> {
  const params = call.params(alias) as ParamsOf<MethodName>
  try {
    const result = await t.client.call(call.method, params)
    return { result: JSON.parse(JSON.stringify(result).split(`"${alias}"`).join('"<alias>"')) as unknown }
  } catch (err) {
    if (!(err instanceof RpcError)) throw err
    return { code: err.code }
  }
}

describe('aliases named like Object.prototype members', () => {
  const ctx = useIssuerApp({ once: true })

  it('get what an unknown alias gets from every method that takes one, and change nothing', async () => {
    const { t, issuer } = ctx
    const tokens = issuer.addAccount({ email: 'real@example.com', accountId: 'acc-real', userId: 'user-real' })
    await t.client.call('accounts.add', { ...pair(tokens), alias: 'real' })
    const file = t.app.components.store.path
    const before = readFileSync(file)
    const stateBefore = JSON.stringify(t.app.components.store.data)
    const refreshesBefore = issuer.refreshCalls
    for (const call of CALLS) {
      const expected = await answer(t, call, UNKNOWN)
      for (const name of PROTO_NAMES) {
        // The params schema drops a `__proto__` key of accountWeights: the same as `settings.update {}`.
        if (name === '__proto__' && call.method === 'settings.update') continue
        const got = await answer(t, call, name)
        // `__proto__` is not even a valid alias (it starts with "_"): refused at the boundary.
        if (name === '__proto__' && (got as { code?: number }).code === -32602) continue
        expect(got, `${call.method} with alias ${name}`).toEqual(expected)
      }
    }
    await t.app.components.store.flush()
    expect(issuer.refreshCalls).toBe(refreshesBefore)
    expect(JSON.parse(JSON.stringify(t.app.components.store.data))).toEqual(JSON.parse(stateBefore))
    expect(readFileSync(file).equals(before)).toBe(true)
    // The real account is untouched and still served.
    const view = await t.client.call('accounts.get', { alias: 'real' })
    expect(view).toMatchObject({ alias: 'real', health: 'ok', enabled: true })
    expect(view.tags ?? []).toEqual([])
    expect(
      (await t.client.call('token.get', { exclude: [...PROTO_NAMES.filter((n) => n !== '__proto__')] })).alias,
    ).toBe('real')
  })

  it('are ordinary aliases for accounts that really have them', async () => {
    const { t, issuer } = ctx
    for (const name of ['toString', 'constructor', 'valueOf', 'hasOwnProperty']) {
      const tokens = issuer.addAccount({ email: `${name}@example.com`, accountId: `acc-${name}`, userId: `u-${name}` })
      const added = await t.client.call('accounts.add', pair(tokens))
      // Built from the email's local part: not taken, so no "-1" suffix.
      expect(added.alias).toBe(name)
      const updated = await t.client.call('accounts.update', { alias: name, tags: ['proto'] })
      expect(updated.tags).toEqual(['proto'])
      expect(updated.weight).toBeUndefined()
    }
    const list = await t.client.call('accounts.list', {})
    expect(list.accounts.map((a) => a.alias).sort()).toEqual(
      ['constructor', 'hasOwnProperty', 'real', 'toString', 'valueOf'].sort(),
    )
    await t.client.call('accounts.remove', { alias: 'constructor' })
    expect((await t.client.call('accounts.list', {})).accounts.map((a) => a.alias)).not.toContain('constructor')
  })
})
