import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { DEFAULT_SETTINGS } from '../../protocol/schemas.js'
import { RpcError } from '../../client/rpc/errors.js'
import { startRotationApp, type RotationApp } from './app-support.js'

interface Fields {
  fields: { path: string; message: string }[]
}

describe('settings service', () => {
  let r: RotationApp
  beforeEach(async () => {
    r = await startRotationApp()
    await r.add('a', 1)
    await r.add('b', 2)
  })
  afterEach(() => r.close())

  const storeFile = () => readFileSync(r.t.dirs.storeFile, 'utf8')
  const rejected = async (patch: Record<string, unknown>): Promise<Fields> => {
    const before = storeFile()
    const err = await r.t.client.call('settings.update', patch).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(RpcError)
    expect((err as RpcError).code).toBe(ErrorCode.INVALID_PARAMS)
    // Nothing saved: the file on disk is byte for byte what it was.
    expect(storeFile()).toBe(before)
    return (err as RpcError).data as Fields
  }

  it('invalid settings are rejected with the field named, and nothing is saved', async () => {
    await r.t.client.call('settings.update', { criticalThreshold: 15 })
    const saved = await r.t.client.call('settings.get', {})
    expect((await rejected({ criticalThreshold: 50 })).fields).toEqual([
      { path: 'criticalThreshold', message: 'criticalThreshold must be less than lowThreshold' },
    ])
    expect((await rejected({ lowThreshold: 12 })).fields[0].path).toBe('lowThreshold')
    expect((await rejected({ lowThreshold: 101 })).fields[0].path).toBe('lowThreshold')
    expect((await rejected({ rotationStrategy: 'fastest' })).fields[0].path).toBe('rotationStrategy')
    expect((await rejected({ accountWeights: { a: 0.5, b: 0.3 } })).fields[0]).toMatchObject({
      path: 'accountWeights',
      message: expect.stringMatching(/sum to 1/) as unknown,
    })
    expect((await rejected({ accountWeights: { a: 1.5 } })).fields[0].path).toBe('accountWeights.a')
    expect((await rejected({ accountWeights: { a: 0.5, ghost: 0.5 } })).fields[0].path).toBe('accountWeights.ghost')
    expect((await rejected({ colour: 'blue' })).fields[0].path).toBe('colour')
    // A valid key next to an invalid one is not saved either.
    await rejected({ preferProAccounts: true, criticalThreshold: -1 })
    expect(await r.t.client.call('settings.get', {})).toEqual(saved)
    expect((JSON.parse(storeFile()) as { settings: Record<string, unknown> }).settings.criticalThreshold).toBe(15)
  })

  it('update saves, marks the preset custom, and the change reaches rotation at once', async () => {
    const s = await r.t.client.call('settings.update', {
      accountWeights: { a: 0.25, b: 0.75 },
      rotationStrategy: 'weighted-round-robin',
    })
    expect(s).toMatchObject({
      preset: 'custom',
      rotationStrategy: 'weighted-round-robin',
      accountWeights: { a: 0.25, b: 0.75 },
    })
    expect((JSON.parse(storeFile()) as { settings: Record<string, unknown> }).settings).toMatchObject({
      accountWeights: { a: 0.25, b: 0.75 },
    })
    expect((await r.t.client.call('rotation.get', {})).strategy).toBe('weighted-round-robin')
    expect(await r.serve(4)).toEqual(['b', 'a', 'b', 'b'])
    expect((await r.t.client.call('accounts.get', { alias: 'b' })).weight).toBe(0.75)
  })

  it('presets: balanced 10/30 with equal weights, conservative 20/40, aggressive 5/20, custom keeps', async () => {
    await r.t.client.call('settings.update', { accountWeights: { a: 0.5, b: 0.5 }, criticalThreshold: 12 })
    expect(await r.t.client.call('settings.applyPreset', { preset: 'conservative' })).toMatchObject({
      preset: 'conservative',
      criticalThreshold: 20,
      lowThreshold: 40,
      accountWeights: { a: 0.5, b: 0.5 },
    })
    expect(await r.t.client.call('settings.applyPreset', { preset: 'aggressive' })).toMatchObject({
      preset: 'aggressive',
      criticalThreshold: 5,
      lowThreshold: 20,
    })
    expect(await r.t.client.call('settings.applyPreset', { preset: 'custom' })).toMatchObject({
      preset: 'custom',
      criticalThreshold: 5,
      lowThreshold: 20,
    })
    expect(await r.t.client.call('settings.applyPreset', { preset: 'balanced' })).toMatchObject({
      preset: 'balanced',
      criticalThreshold: 10,
      lowThreshold: 30,
      accountWeights: {},
    })
    // A change a preset does not govern keeps the preset's name.
    expect(await r.t.client.call('settings.update', { preferProAccounts: true })).toMatchObject({ preset: 'balanced' })
  })

  it('reset puts every setting back to its default; keep-alive intervals are settings too', async () => {
    await r.t.client.call('settings.update', {
      idleRefreshMs: 2 * 86_400_000,
      rotationStrategy: 'sticky',
      lowThreshold: 50,
    })
    expect((await r.t.client.call('settings.get', {})).idleRefreshMs).toBe(2 * 86_400_000)
    expect(await r.t.client.call('settings.reset', {})).toEqual(DEFAULT_SETTINGS)
    expect((await r.t.client.call('daemon.status', {})).strategy).toBe('round-robin')
  })
})
