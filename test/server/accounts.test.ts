/**
 * accounts.*, events.subscribe and logs.tail against the spawned daemon, through
 * the typed client: identity from the JWT claims (docs/architecture.md#invariants, 6), the last-enabled
 * guard, the not-found code, and no token ever leaving the daemon (11).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RpcClient } from '../../client/rpc/client.js'
import { RpcError } from '../../protocol/errors.js'
import type { DaemonEvent } from '../../protocol/events.js'
import type { AccountView } from '../../protocol/schemas.js'
import { mintTokens, type Identity } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'

let dirs: TestDirs
let daemon: SpawnedDaemon
let client: RpcClient
let watcher: RpcClient
const events: DaemonEvent[] = []
/** Every token handed to the daemon in this file; none may come back out. */
const secrets: string[] = []

let seq = 0
function tokensFor(
  identity: Identity,
  opts: { iat?: number } = {},
): { accessToken: string; idToken: string; refreshToken: string } {
  const t = mintTokens({ planType: 'plus', ...identity }, opts)
  const refreshToken = `rt_${identity.userId}_${++seq}_refreshsecret0123456789`
  secrets.push(
    t.accessToken,
    t.idToken,
    refreshToken,
    ...t.accessToken.split('.').slice(1),
    ...t.idToken.split('.').slice(1),
  )
  return { ...t, refreshToken }
}

function expectNoSecrets(text: string): void {
  for (const s of secrets) expect(text, 'a token leaked').not.toContain(s)
  expect(text).not.toMatch(/rt_[A-Za-z0-9_]{16,}/)
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/)
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RpcError)
  return err as RpcError
}

/** The next event for `alias` with this change, in arrival order. */
async function eventFor(alias: string, change: string): Promise<DaemonEvent> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const i = events.findIndex((e) => e.type === 'account.updated' && e.alias === alias && e.change === change)
    if (i !== -1) return events.splice(i, 1)[0]
    if (Date.now() > deadline)
      throw new Error(`no account.updated ${change} event for ${alias}; got ${JSON.stringify(events)}`)
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 200)
      waiters.push(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }
}
const waiters: (() => void)[] = []

beforeAll(async () => {
  dirs = makeDirs()
  daemon = await startDaemon(dirs)
  client = await daemon.connect()
  watcher = await daemon.connect()
  await watcher.subscribe(['account.updated'], (e) => {
    events.push(e)
    for (const w of waiters.splice(0)) w()
  })
})

afterAll(async () => {
  client?.close()
  watcher?.close()
  await daemon?.stop()
  if (dirs) cleanup(dirs)
})

const alice: Identity = { email: 'alice@example.com', accountId: 'acc-alice', userId: 'user-alice', planType: 'pro' }
const seatA: Identity = { email: 'seat-a@corp.example', accountId: 'acc-team', userId: 'user-seat-a', planType: 'team' }
const seatB: Identity = { email: 'seat-b@corp.example', accountId: 'acc-team', userId: 'user-seat-b', planType: 'team' }

describe('accounts over RPC', () => {
  it('adds an account from tokens, taking identity, email and plan from the JWT claims', async () => {
    const t = tokensFor(alice)
    const view = await client.call('accounts.add', t)
    expect(view).toMatchObject({
      alias: 'alice',
      email: 'alice@example.com',
      accountId: 'acc-alice',
      userId: 'user-alice',
      planType: 'pro',
      enabled: true,
      health: 'ok',
      hasIdToken: true,
    })
    // expiresAt comes from the access token's exp (10 days), not the id token's hour.
    expect(view.expiresAt).toBeGreaterThan(Date.now() + 9 * 86_400_000)
    expect(await eventFor('alice', 'added')).toMatchObject({ type: 'account.updated', alias: 'alice' })
    expect(await client.call('accounts.get', { alias: 'alice' })).toMatchObject({
      alias: 'alice',
      email: 'alice@example.com',
    })
  })

  it('updates the same identity instead of adding it twice', async () => {
    const newer = tokensFor(alice, { iat: Math.floor(Date.now() / 1000) + 60 })
    const view = await client.call('accounts.add', newer)
    expect(view.alias).toBe('alice')
    const { accounts } = await client.call('accounts.list', {})
    expect(accounts.filter((a) => a.accountId === 'acc-alice')).toHaveLength(1)
    expect(await eventFor('alice', 'updated')).toBeDefined()
    // Even under another requested alias, the identity decides.
    const again = await client.call('accounts.add', {
      ...tokensFor(alice, { iat: Math.floor(Date.now() / 1000) + 120 }),
      alias: 'alice-2',
    })
    expect(again.alias).toBe('alice')
    expect((await client.call('accounts.list', {})).accounts.map((a) => a.alias)).toEqual(['alice'])
  })

  it('keeps two seats of one team (same account id, different users) as two accounts', async () => {
    const a = await client.call('accounts.add', tokensFor(seatA))
    const b = await client.call('accounts.add', tokensFor(seatB))
    expect(a.alias).not.toBe(b.alias)
    expect([a.userId, b.userId]).toEqual(['user-seat-a', 'user-seat-b'])
    const team = (await client.call('accounts.list', {})).accounts.filter((x) => x.accountId === 'acc-team')
    expect(team.map((x) => x.email).sort()).toEqual(['seat-a@corp.example', 'seat-b@corp.example'])
    await eventFor(a.alias, 'added')
    await eventFor(b.alias, 'added')
  })

  it('updates tags, notes and weight', async () => {
    const view = await client.call('accounts.update', {
      alias: 'alice',
      tags: ['work', 'pro', 'work'],
      notes: 'main seat',
      weight: 0.5,
    })
    expect(view).toMatchObject({ tags: ['work', 'pro'], notes: 'main seat', weight: 0.5 })
    expect(await client.call('accounts.get', { alias: 'alice' })).toMatchObject({
      tags: ['work', 'pro'],
      notes: 'main seat',
      weight: 0.5,
    })
    await eventFor('alice', 'updated')
    const cleared = await client.call('accounts.update', { alias: 'alice', tags: [], weight: null })
    expect(cleared.tags).toEqual([])
    expect(cleared.weight).toBeUndefined()
    expect(cleared.notes).toBe('main seat')
  })

  it('enables and disables, refusing to disable the last enabled account with CONFLICT', async () => {
    const aliases = (await client.call('accounts.list', {})).accounts.map((a) => a.alias)
    expect(aliases).toHaveLength(3)
    const [last, ...others] = aliases
    for (const a of others) {
      const v = await client.call('accounts.setEnabled', { alias: a, enabled: false })
      expect(v.enabled).toBe(false)
      await eventFor(a, 'disabled')
    }
    const err = await rpcError(client.call('accounts.setEnabled', { alias: last, enabled: false }))
    expect(err.code).toBe(-32007)
    expect(err.message).toContain(last)
    expect((await client.call('accounts.get', { alias: last })).enabled).toBe(true)
    // Enabling another one lifts the guard.
    expect((await client.call('accounts.setEnabled', { alias: others[0], enabled: true })).enabled).toBe(true)
    await eventFor(others[0], 'enabled')
    expect((await client.call('accounts.setEnabled', { alias: last, enabled: false })).enabled).toBe(false)
    await eventFor(last, 'disabled')
    expect((await client.call('accounts.setEnabled', { alias: last, enabled: true })).enabled).toBe(true)
  })

  it('answers an unknown alias with ACCOUNT_NOT_FOUND (-32001) on every method that takes one', async () => {
    for (const call of [
      client.call('accounts.get', { alias: 'nobody' }),
      client.call('accounts.remove', { alias: 'nobody' }),
      client.call('accounts.setEnabled', { alias: 'nobody', enabled: true }),
      client.call('accounts.update', { alias: 'nobody', notes: 'x' }),
    ]) {
      const err = await rpcError(call)
      expect(err.code).toBe(-32001)
      expect(err.message).toContain('nobody')
    }
  })

  it('refuses tokens that carry no ChatGPT identity, naming the field', async () => {
    const before = (await client.call('accounts.list', {})).accounts.length
    for (const accessToken of ['notajwt', 'a.b.c', `e30.${Buffer.from('{"sub":"x"}').toString('base64url')}.sig`]) {
      const err = await rpcError(client.call('accounts.add', { accessToken, refreshToken: 'rt_whatever' }))
      expect(err.code).toBe(-32602)
      expect(JSON.stringify(err.data)).toContain('accessToken')
    }
    expect((await client.call('accounts.list', {})).accounts.length).toBe(before)
  })

  it('removes an account and says so to subscribers', async () => {
    const t = tokensFor({ email: 'temp@example.com', accountId: 'acc-temp', userId: 'user-temp' })
    const v = await client.call('accounts.add', { ...t, alias: 'temp' })
    expect(v.alias).toBe('temp')
    await eventFor('temp', 'added')
    expect(await client.call('accounts.remove', { alias: 'temp' })).toEqual({ ok: true })
    expect(await eventFor('temp', 'removed')).toMatchObject({ type: 'account.updated', alias: 'temp' })
    expect((await rpcError(client.call('accounts.get', { alias: 'temp' }))).code).toBe(-32001)
  })

  it('never puts a token in an AccountView, an event or an error', async () => {
    const { accounts } = await client.call('accounts.list', {})
    expect(accounts.length).toBeGreaterThan(0)
    const views: AccountView[] = [...accounts]
    for (const a of accounts) views.push(await client.call('accounts.get', { alias: a.alias }))
    expect(secrets.length).toBeGreaterThan(10)
    expectNoSecrets(JSON.stringify(views))
    for (const v of views) {
      for (const key of Object.keys(v)) expect(key).not.toMatch(/^(access|refresh|id)_?token$/i)
      expect(typeof v.hasIdToken).toBe('boolean')
    }
    expectNoSecrets(JSON.stringify(events))
    // A rejected add (alias taken by another identity) does not echo what it was given.
    const intruder = tokensFor({ email: 'intruder@example.com', accountId: 'acc-x', userId: 'user-x' })
    const err = await rpcError(client.call('accounts.add', { ...intruder, alias: 'alice' }))
    expect(err.code).toBe(-32007)
    expectNoSecrets(JSON.stringify({ message: err.message, data: err.data }))
  })

  it('logs.tail returns recent lines, and neither they nor the log file hold a token', async () => {
    const { lines } = await client.call('logs.tail', { lines: 5000 })
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.some((l) => l.message === 'daemon ready')).toBe(true)
    for (const l of lines) expect(typeof l.timestamp).toBe('string')
    expect((await client.call('logs.tail', { lines: 1 })).lines).toHaveLength(1)
    expectNoSecrets(JSON.stringify(lines))
    expectNoSecrets(readFileSync(dirs.logFile, 'utf8'))
    expectNoSecrets(daemon.stderr())
  })
})
