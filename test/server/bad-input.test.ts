/**
 * Bad input over a raw socket never hurts the daemon or anyone else's
 * connection (issue 2, "Socket server"): each kind of garbage gets its own
 * JSON-RPC answer, while a second connection keeps being served.
 */
import { mkdirSync, rmdirSync, rmSync, existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_FRAME_BYTES } from '../../protocol/framing.js'
import { mintTokens } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { RawConn, until, within, type RpcMessage } from './raw.js'

let dirs: TestDirs
let daemon: SpawnedDaemon
/** The bystander: every test checks it is still answered. */
let other: RawConn
const conns: RawConn[] = []

async function open(): Promise<RawConn> {
  const c = await RawConn.open(dirs.socketPath)
  conns.push(c)
  return c
}

async function otherStillServed(): Promise<void> {
  const r = await other.request('daemon.status', {})
  expect(r.error).toBeUndefined()
  expect((r.result as { pid: number }).pid).toBe(daemon.proc.pid)
  expect(daemon.proc.exitCode).toBeNull()
}

function line(msg: unknown): string {
  return JSON.stringify(msg) + '\n'
}

beforeAll(async () => {
  dirs = makeDirs()
  daemon = await startDaemon(dirs)
  other = await open()
})

afterAll(async () => {
  for (const c of conns) c.destroy()
  await daemon?.stop()
  if (dirs) cleanup(dirs)
})

describe('socket server: bad input', () => {
  it('answers a non-JSON line with -32700 and keeps the same connection usable', async () => {
    const c = await open()
    c.write('this is {not json\n')
    const parse = await c.next()
    expect(parse).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
    // Same connection, next line: served as if nothing happened.
    const ok = await c.request('daemon.status', {}, 7)
    expect(ok.id).toBe(7)
    expect((ok.result as { pid: number }).pid).toBe(daemon.proc.pid)
    // A line cut in half across writes is one frame, not two parse errors.
    const half = line({ jsonrpc: '2.0', id: 'split', method: 'daemon.status' })
    const answer = c.request('accounts.list', {}, 'after')
    c.write(half.slice(0, 10))
    c.write(half.slice(10))
    expect(((await answer).result as { accounts: unknown[] }).accounts).toBeInstanceOf(Array)
    expect(c.isClosed).toBe(false)
    await otherStillServed()
  })

  it('answers JSON values that are not requests with -32600', async () => {
    const c = await open()
    const notRequests = [
      '42',
      'null',
      'true',
      '"daemon.status"',
      '{"foo":1}',
      '[]',
      '{"jsonrpc":"2.0","id":5}',
      '{"jsonrpc":"1.0","id":6,"method":"daemon.status"}',
      '{"jsonrpc":"2.0","id":7,"method":5}',
      // An id must be a string, a number or null: never echoed back as something else.
      '{"jsonrpc":"2.0","id":{"x":1},"method":"daemon.status"}',
    ]
    for (const notARequest of notRequests) {
      c.write(notARequest + '\n')
      const r = await c.next()
      expect(r.error?.code, notARequest).toBe(-32600)
      expect(r.result, notARequest).toBeUndefined()
    }
    // A batch answers element by element, also for elements that are not requests.
    c.write('[null, 1, {"jsonrpc":"2.0","id":"b1","method":"daemon.status"}]\n')
    const batch = (await c.next()) as unknown as RpcMessage[]
    expect(batch).toHaveLength(3)
    expect(batch.filter((m) => m.error?.code === -32600)).toHaveLength(2)
    expect(batch.find((m) => m.id === 'b1')?.result).toMatchObject({ pid: daemon.proc.pid })
    expect((await c.request('daemon.status', {})).result).toBeDefined()
    expect(daemon.stderr()).not.toMatch(/failed to dispatch/)
    await otherStillServed()
  })

  it('answers an unknown method with -32601 and the request id', async () => {
    const c = await open()
    const r = await c.request('accounts.steal', {}, 'u1')
    expect(r).toMatchObject({ id: 'u1', error: { code: -32601 } })
    await otherStillServed()
  })

  it('answers wrong params with -32602 naming the failing fields in data', async () => {
    const c = await open()
    const fieldsOf = (r: RpcMessage): string[] => {
      expect(r.error?.code).toBe(-32602)
      return ((r.error?.data as { fields: { path: string; message: string }[] }).fields ?? []).map((f) => f.path)
    }
    expect(fieldsOf(await c.request('accounts.get', { alias: 5 }))).toEqual(['alias'])
    expect(fieldsOf(await c.request('accounts.get', {}))).toEqual(['alias'])
    expect(fieldsOf(await c.request('accounts.setEnabled', { alias: 'a', enabled: 'yes' }))).toEqual(['enabled'])
    expect(fieldsOf(await c.request('accounts.update', { alias: 'a', weight: 2, tags: [''] }))).toEqual(
      expect.arrayContaining(['weight', 'tags.0']),
    )
    expect(fieldsOf(await c.request('logs.tail', { lines: -1 }))).toEqual(['lines'])
    const r = await c.request('accounts.get', { alias: 5 })
    const f = (r.error?.data as { fields: { message: string }[] }).fields[0]
    expect(f.message).toMatch(/string/)
    await otherStillServed()
  })

  it('answers a frame of exactly 1 MiB, and closes only the connection that sends a bigger one, saying why in the log', async () => {
    // Exactly at the cap: still a frame (rejected for its params, but answered).
    const atCap = await open()
    const prefix = '{"jsonrpc":"2.0","id":"big","method":"accounts.list","params":{"pad":"'
    const suffix = '"}}'
    const exact = prefix + 'x'.repeat(MAX_FRAME_BYTES - prefix.length - suffix.length) + suffix
    expect(Buffer.byteLength(exact)).toBe(MAX_FRAME_BYTES)
    atCap.write(exact + '\n')
    const answered = await atCap.next()
    expect(answered).toMatchObject({ id: 'big', error: { code: -32602 } })
    expect(atCap.isClosed).toBe(false)

    // One byte over (and no newline in sight): that connection is closed...
    const offender = await open()
    let served = 0
    let stop = false
    const failures: unknown[] = []
    const bystander = (async () => {
      while (!stop) {
        try {
          const r = await other.request('accounts.list', {})
          if (r.error) failures.push(r.error)
          else served++
        } catch (err) {
          failures.push(err)
          return
        }
      }
    })()
    offender.write(Buffer.alloc(MAX_FRAME_BYTES + 1, 'y'))
    offender.write(Buffer.alloc(MAX_FRAME_BYTES, 'z'))
    await within(offender.closed, 10_000, 'the daemon to close the connection that sent an oversized frame')
    stop = true
    await bystander
    // ...while the other connection was answered throughout.
    expect(failures).toEqual([])
    expect(served).toBeGreaterThan(0)
    await otherStillServed()
    // The connection at the cap is still open and served too.
    expect((await atCap.request('daemon.status', {})).result).toBeDefined()
    await until(() => /oversized frame/.test(daemon.stderr()), 'the oversized frame to be logged')
  })

  it('shrugs off clients that vanish mid-call, and their calls still take effect', async () => {
    const { accessToken, idToken } = mintTokens({
      email: 'ghost@example.com',
      accountId: 'acc-ghost',
      userId: 'user-ghost',
    })
    for (let i = 0; i < 20; i++) {
      const c = await open()
      let batch = ''
      for (let j = 0; j < 50; j++)
        batch += line({ jsonrpc: '2.0', id: j, method: j % 2 ? 'daemon.status' : 'accounts.list' })
      if (i === 0)
        batch += line({
          jsonrpc: '2.0',
          id: 'add',
          method: 'accounts.add',
          params: { accessToken, idToken, refreshToken: 'rt_ghost_refresh_token_0123456789' },
        })
      c.write(batch)
      c.destroy()
    }
    // The daemon lives on, serves others, and did what the vanished client asked.
    await until(async () => {
      const r = await other.request('accounts.list', {})
      return (r.result as { accounts: { email?: string }[] }).accounts.some((a) => a.email === 'ghost@example.com')
    }, "the vanished client's accounts.add to land")
    await otherStillServed()
    expect(daemon.stderr()).not.toMatch(/unhandled|uncaught/i)
  })

  it('reports a store that cannot be written as STORE_UNAVAILABLE, logging the real reason only on its side', async () => {
    // Make the store's next rename fail: a directory where the store file goes (root ignores modes).
    const c = await open()
    rmSync(dirs.storeFile, { force: true })
    mkdirSync(dirs.storeFile)
    const tokens = mintTokens({ email: 'broken@example.com', accountId: 'acc-broken', userId: 'user-broken' })
    const refreshToken = 'rt_internal_error_refresh_0123456789'
    let r: RpcMessage
    try {
      r = await c.request('accounts.add', { ...tokens, refreshToken })
    } finally {
      rmdirSync(dirs.storeFile)
    }
    expect(r.error?.code).toBe(-32004)
    const raw = JSON.stringify(r)
    for (const secret of [dirs.storeFile, 'EISDIR', tokens.accessToken, refreshToken]) expect(raw).not.toContain(secret)
    await until(() => /could not write the account store/.test(daemon.stderr()), 'the store failure to be logged')
    expect(daemon.stderr()).toMatch(/EISDIR/)
    // Nothing half-done: the account did not appear, and the same call works once the cause is gone.
    const list = await c.request('accounts.list', {})
    expect((list.result as { accounts: { email?: string }[] }).accounts.map((a) => a.email)).not.toContain(
      'broken@example.com',
    )
    const again = await c.request('accounts.add', { ...tokens, refreshToken })
    expect((again.result as { email: string }).email).toBe('broken@example.com')
    expect(existsSync(dirs.storeFile)).toBe(true)
    await otherStillServed()
  })
})
