import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { RpcError } from '../../client/rpc/errors.js'
import { startRotationApp, type RotationApp } from './app-support.js'

const HOUR = 3_600_000

async function failure(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RpcError)
  return err as RpcError
}

describe('force mode', () => {
  let r: RotationApp
  beforeEach(async () => {
    r = await startRotationApp()
    await r.add('a', 1)
    await r.add('b', 2)
    await r.add('c', 3)
  })
  afterEach(() => r.close())

  it('the pinned account serves every request, and daemon.status reports the pin', async () => {
    expect(await r.serve(3)).toEqual(['a', 'b', 'c']) // round-robin before the pin
    const state = await r.t.client.call('rotation.force', { alias: 'b' })
    expect(state).toEqual({
      active: true,
      alias: 'b',
      until: r.clock.now() + 24 * HOUR,
      previousStrategy: 'round-robin',
    })
    expect(await r.serve(4)).toEqual(['b', 'b', 'b', 'b'])
    const status = await r.t.client.call('daemon.status', {})
    expect(status.force).toEqual(state)
    const rotation = await r.t.client.call('rotation.get', {})
    expect(rotation.order.map((o) => o.alias)).toEqual(['b'])
  })

  it('pinned account limited → RATE_LIMITED with alias, reason and until; no fallback', async () => {
    await r.t.client.call('rotation.force', { alias: 'b', ttlMs: 48 * HOUR })
    const resetsAt = Math.floor((r.clock.now() + 2 * HOUR) / 1000)
    await r.t.client.call('token.report', {
      alias: 'b',
      status: 429,
      body: JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: resetsAt } }),
    })
    const err = await failure(r.t.client.call('token.get', {}))
    expect(err.code).toBe(ErrorCode.RATE_LIMITED)
    expect(err.data).toMatchObject({ alias: 'b', health: 'rate_limited', until: resetsAt * 1000 })
    expect((err.data as { reason: string }).reason).toMatch(/usage limit/)
    // The caller excluding the pinned account gets the same refusal, not another account.
    await r.clock.advance(2 * HOUR)
    expect(await r.serve(1)).toEqual(['b'])
    expect((await failure(r.t.client.call('token.get', { exclude: ['b'] }))).code).toBe(ErrorCode.RATE_LIMITED)
  })

  it('expiry clears the pin (checked when read): rotation resumes', async () => {
    await r.t.client.call('rotation.force', { alias: 'c', ttlMs: 2 * HOUR })
    expect(await r.serve(2)).toEqual(['c', 'c'])
    await r.clock.advance(2 * HOUR)
    expect((await r.t.client.call('daemon.status', {})).force.active).toBe(false)
    expect(new Set(await r.serve(3))).toEqual(new Set(['a', 'b', 'c']))
  })

  it('removing or disabling the pinned account clears the pin', async () => {
    await r.t.client.call('rotation.force', { alias: 'a' })
    await r.t.client.call('accounts.remove', { alias: 'a' })
    expect((await r.t.client.call('rotation.get', {})).force.active).toBe(false)
    expect(new Set(await r.serve(2))).toEqual(new Set(['b', 'c']))

    await r.t.client.call('rotation.force', { alias: 'b' })
    await r.t.client.call('accounts.setEnabled', { alias: 'b', enabled: false })
    expect((await r.t.client.call('daemon.status', {})).force.active).toBe(false)
    expect(await r.serve(2)).toEqual(['c', 'c'])
    // Enabling it again does not bring a cleared pin back.
    await r.t.client.call('accounts.setEnabled', { alias: 'b', enabled: true })
    expect((await r.t.client.call('rotation.get', {})).force.active).toBe(false)
  })

  it('clearForce ends the pin and restores the strategy it remembered (or the one chosen during the pin)', async () => {
    await r.t.client.call('rotation.setStrategy', { strategy: 'use-up' })
    await r.t.client.call('rotation.force', { alias: 'c' })
    expect((await r.t.client.call('rotation.get', {})).force.previousStrategy).toBe('use-up')
    await r.t.client.call('rotation.setStrategy', { strategy: 'least-used' })
    expect((await r.t.client.call('rotation.get', {})).force.previousStrategy).toBe('least-used')
    const cleared = await r.t.client.call('rotation.clearForce', {})
    expect(cleared).toEqual({ active: false, alias: null, until: null, previousStrategy: null })
    const status = await r.t.client.call('daemon.status', {})
    expect(status.strategy).toBe('least-used')
    expect(await r.serve(3)).toEqual(['a', 'b', 'c'])
  })

  it('pinning an unknown alias → ACCOUNT_NOT_FOUND; a disabled one → CONFLICT; nothing pinned', async () => {
    expect((await failure(r.t.client.call('rotation.force', { alias: 'nobody' }))).code).toBe(
      ErrorCode.ACCOUNT_NOT_FOUND,
    )
    await r.t.client.call('accounts.setEnabled', { alias: 'a', enabled: false })
    expect((await failure(r.t.client.call('rotation.force', { alias: 'a' }))).code).toBe(ErrorCode.CONFLICT)
    expect((await r.t.client.call('daemon.status', {})).force.active).toBe(false)
  })
})
