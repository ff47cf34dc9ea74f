import { describe, expect, it } from 'vitest'
import type { Handler, Handlers } from '../../daemon/server/dispatch.js'
import { errorTable, fieldErrors, noEligibleData, parseErrorData, rateLimitedData } from '../../protocol/error-data.js'
import { ErrorCode } from '../../protocol/errors.js'
import { daemonEvent, EVENT_TOPICS, eventSchemas } from '../../protocol/events.js'
import { isOneshotMethod, isServedOver, methods, ONESHOT_METHODS, type MethodName } from '../../protocol/methods.js'
import { settingsPatch } from '../../protocol/schemas.js'

describe('the method table', () => {
  it('serves every method on the socket, and all but the token-bearing ones over HTTP', () => {
    const offHttp = (Object.keys(methods) as MethodName[]).filter((m) => !isServedOver(m, 'http'))
    expect(offHttp.sort()).toEqual(['accounts.add', 'token.get', 'token.report'])
    for (const m of Object.keys(methods)) expect(isServedOver(m, 'socket')).toBe(true)
    expect(isServedOver('no.such', 'socket')).toBe(false)
    expect(isServedOver('constructor', 'http')).toBe(false)
    expect(isServedOver('__proto__', 'socket')).toBe(false)
  })

  it('declares the one-shot subset once, all of them real methods', () => {
    expect([...ONESHOT_METHODS]).toEqual(['accounts.add', 'accounts.remove', 'accounts.setEnabled', 'accounts.update'])
    for (const m of ONESHOT_METHODS) expect(Object.hasOwn(methods, m)).toBe(true)
    expect(isOneshotMethod('accounts.add')).toBe(true)
    expect(isOneshotMethod('token.get')).toBe(false)
  })

  it('names only error codes that exist, each with a data schema', () => {
    for (const m of Object.values(methods)) for (const e of m.errors) expect(errorTable[e].code).toBeTypeOf('number')
    expect(Object.keys(errorTable).sort()).toEqual(Object.keys(ErrorCode).sort())
  })

  it('a handler map missing a method does not compile', () => {
    const ok: Handler<'daemon.shutdown'> = () => ({ ok: true })
    // @ts-expect-error -- Handlers requires every method of the table
    const partial: Handlers = { 'daemon.shutdown': ok }
    expect(Object.keys(partial)).toEqual(['daemon.shutdown'])
  })
})

describe('settings.update params', () => {
  it('are any subset of the settings, each field checked, unknown keys named', () => {
    expect(settingsPatch.parse({ lowThreshold: 40 })).toEqual({ lowThreshold: 40 })
    expect(settingsPatch.safeParse({ lowThreshold: 101 }).success).toBe(false)
    expect(settingsPatch.safeParse({ rotationStrategy: 'fastest' }).success).toBe(false)
    const bad = settingsPatch.safeParse({ colour: 'blue', toString: 1 })
    expect(bad.success).toBe(false)
    const fields = fieldErrors(bad.error!)
    expect(fields.map((f) => f.path).sort()).toEqual(['colour', 'toString'])
    expect(fields[0].message).toMatch(/unknown setting; known: rotationStrategy/)
  })
})

describe('error data', () => {
  it('parses what the daemon sends, and refuses what is not of the shape', () => {
    const data = { accounts: [{ alias: 'a', health: 'rate_limited', until: 5 }], earliestUntil: 5 }
    expect(noEligibleData.parse(data)).toEqual(data)
    expect(noEligibleData.safeParse({ accounts: [{ alias: 'a', health: 'sleepy' }] }).success).toBe(false)
    const limited = { alias: 'a', health: 'rate_limited', reason: 'usage limit', until: null }
    expect(parseErrorData('RATE_LIMITED', { code: ErrorCode.RATE_LIMITED, data: limited })).toEqual(limited)
    expect(rateLimitedData.safeParse({ alias: 'a' }).success).toBe(false)
    // The code must match the name asked for.
    expect(parseErrorData('RATE_LIMITED', { code: ErrorCode.CONFLICT, data: limited })).toBeUndefined()
    expect(parseErrorData('INVALID_PARAMS', { code: -32602, data: { fields: [{ path: 'x', message: 'y' }] } })).toEqual(
      {
        fields: [{ path: 'x', message: 'y' }],
      },
    )
  })
})

describe('events', () => {
  it('has a schema per topic, and the union parses each one', () => {
    expect([...EVENT_TOPICS]).toEqual(Object.keys(eventSchemas))
    const samples = [
      { type: 'account.updated', at: 1, alias: 'a', change: 'added' },
      { type: 'token.refreshed', at: 1, alias: 'a', expiresAt: 2, reason: 'manual' },
      { type: 'rotation.changed', at: 1, change: 'active', alias: 'a', previous: null },
      { type: 'limits.updated', at: 1, source: 'probe', change: 'stopped', aliases: ['a'], pending: 0 },
      { type: 'store.reloaded', at: 1 },
    ]
    for (const s of samples) expect(daemonEvent.parse(s)).toEqual(s)
    expect(daemonEvent.safeParse({ type: 'account.updated', at: 1, alias: 'a', change: 'exploded' }).success).toBe(
      false,
    )
  })
})
