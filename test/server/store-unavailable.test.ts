/**
 * A store that cannot be written answers every changing method with
 * STORE_UNAVAILABLE (-32004), decided once in the store, never a generic
 * -32603; and nothing is changed in memory.
 */
import * as fsp from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { StoreFs } from '../../daemon/store/fs.js'
import { mintTokens } from '../fakes/jwt.js'
import { startTestApp, type TestApp } from '../helpers/app.js'

let failWrites = false
/** Like the disk filling up: every rename of a temp file over a target fails. */
const flakyFs: StoreFs = {
  ...fsp,
  rename: async (from, to) => {
    if (failWrites)
      throw Object.assign(new Error(`ENOSPC: no space left on device, rename '${String(from)}'`), {
        code: 'ENOSPC',
      })
    return fsp.rename(from, to)
  },
}

let t: TestApp
let alias: string

beforeAll(async () => {
  t = await startTestApp({ fs: flakyFs, noKeepAlive: true })
  const tok = mintTokens({ email: 'su@example.com', accountId: 'acct-su', userId: 'user-su' })
  const added = await t.client.call('accounts.add', { ...tok, refreshToken: 'rt_store_unavailable_0123456789' })
  await t.client.call('accounts.add', {
    ...mintTokens({ email: 'su2@example.com', accountId: 'acct-su2', userId: 'user-su2' }),
    refreshToken: 'rt_store_unavailable_second_0123',
  })
  alias = added.alias
  failWrites = true
})

afterAll(async () => {
  failWrites = false
  await t.close()
})

async function codeOf(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RpcError)
  return (err as RpcError).code
}

describe('a store whose write fails', () => {
  it('answers STORE_UNAVAILABLE to every method that changes it', async () => {
    const calls: Array<Promise<unknown>> = [
      t.client.call('accounts.update', { alias, tags: ['x'] }),
      t.client.call('accounts.setEnabled', { alias, enabled: false }),
      t.client.call('accounts.remove', { alias }),
      t.client.call('rotation.force', { alias }),
      t.client.call('rotation.clearForce', {}),
      t.client.call('settings.update', { lowThreshold: 40 }),
      t.client.call('accounts.add', {
        ...mintTokens({ email: 'su3@example.com', accountId: 'acct-su3', userId: 'user-su3' }),
        refreshToken: 'rt_store_unavailable_third_01234',
      }),
    ]
    for (const c of calls) expect(await codeOf(c)).toBe(ErrorCode.STORE_UNAVAILABLE)
  })

  it('leaves the in-memory state unchanged and logs the cause', async () => {
    const view = await t.client.call('accounts.get', { alias })
    expect(view.tags ?? []).toEqual([])
    expect(view.enabled).toBe(true)
    expect((await t.client.call('accounts.list', {})).accounts).toHaveLength(2)
    const log = readFileSync(t.dirs.logFile, 'utf8')
    expect(log).toContain('could not write the account store')
    expect(log).toContain('ENOSPC')
    expect(log).not.toContain('internal error in a method handler')
  })
})
