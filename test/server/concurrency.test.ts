/**
 * 200 concurrent connections × 20 pipelined calls each, against the spawned
 * daemon: every call answered, on its own connection, under its own id, with
 * the result of the method it asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mintTokens } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { RawConn } from './raw.js'

const CONNECTIONS = 200
const CALLS = 20

let dirs: TestDirs
let daemon: SpawnedDaemon
const conns: RawConn[] = []

beforeAll(async () => {
  dirs = makeDirs()
  daemon = await startDaemon(dirs)
  const client = await daemon.connect()
  const { accessToken, idToken } = mintTokens({ email: 'load@example.com', accountId: 'acc-load', userId: 'user-load' })
  await client.call('accounts.add', { accessToken, idToken, refreshToken: 'rt_load_refresh_token_0123456789' })
  client.close()
})

afterAll(async () => {
  for (const c of conns) c.destroy()
  await daemon?.stop()
  if (dirs) cleanup(dirs)
})

describe('socket server under load', () => {
  it(`answers ${CONNECTIONS} concurrent connections × ${CALLS} calls, each under its own id`, async () => {
    const opened = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawConn.open(dirs.socketPath)))
    conns.push(...opened)

    const results = await Promise.all(
      opened.map(async (conn, c) => {
        // All of a connection's calls go out at once (pipelined), with ids unique across connections.
        const calls = Array.from({ length: CALLS }, (_, i) => {
          const method = i % 2 === 0 ? 'daemon.status' : 'accounts.list'
          const id = i % 4 === 1 ? c * 1000 + i : `c${c}-${i}`
          return conn.request(method, {}, id).then((answer) => ({ method, id, answer }))
        })
        return Promise.all(calls)
      }),
    )

    let answered = 0
    for (const perConn of results) {
      for (const { method, id, answer } of perConn) {
        expect(answer.id).toEqual(id)
        expect(answer.error).toBeUndefined()
        if (method === 'daemon.status') {
          expect(answer.result).toMatchObject({ pid: daemon.proc.pid, accountCount: 1 })
        } else {
          expect((answer.result as { accounts: { alias: string }[] }).accounts.map((a) => a.alias)).toEqual(['load'])
        }
        answered++
      }
    }
    expect(answered).toBe(CONNECTIONS * CALLS)
    // Each connection got exactly its own answers: nothing left over, nothing crossed over.
    for (const conn of opened) expect(conn.unclaimed).toBe(0)
    expect(daemon.proc.exitCode).toBeNull()
  })
})
