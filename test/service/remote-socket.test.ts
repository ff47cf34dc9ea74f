/**
 * A machine without accounts using another machine's daemon through a
 * forwarded socket (a relay stands in for `ssh -L`/`-R`): calls reach the
 * remote daemon, and when the forward is down no local daemon is started and
 * no local store is made.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RemoteDaemonUnreachableError, startDaemon as launch } from '../../client/launcher.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { mintTokens } from '../fakes/jwt.js'
import { json, runCli } from '../cli/run.js'

function relay(from: string, to: string): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(to)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  mkdirSync(dirname(from), { recursive: true, mode: 0o700 })
  return new Promise((resolve) =>
    server.listen(from, () =>
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      }),
    ),
  )
}

describe('a forwarded socket to another machine’s daemon', () => {
  const all: TestDirs[] = []
  let remote: SpawnedDaemon
  afterAll(async () => {
    await remote.stop()
    all.forEach(cleanup)
  })

  it('serves this machine through the forward, and never starts a daemon here when it is down', async () => {
    const owner = makeDirs()
    all.push(owner)
    remote = await startDaemon(owner)
    const here = makeDirs()
    all.push(here)
    here.env.OPENCODE_MULTI_AUTH_SOCKET = join(here.root, 'fwd', 'oma.sock')
    const forward = await relay(here.env.OPENCODE_MULTI_AUTH_SOCKET, owner.socketPath)
    const added = await runCli(['add-tokens', '--json'], {
      env: here.env,
      input: JSON.stringify({
        ...mintTokens({ email: 'r@example.com', accountId: 'ra', userId: 'ru' }),
        refreshToken: 'rt_remote_0123456789abcdef',
      }),
    })
    expect(added.code, added.stderr).toBe(0)
    expect(added.stderr).not.toContain('no daemon is running')
    const list = await runCli(['list', '--json'], { env: here.env })
    expect(json<{ accounts: { alias: string }[] }>(list).accounts.map((a) => a.alias)).toEqual(['r'])
    expect(existsSync(owner.storeFile)).toBe(true)
    await forward.close()

    let spawned = 0
    const counting = ((...args: Parameters<typeof spawn>) => {
      spawned++
      return spawn(...args)
    }) as typeof spawn
    const err = await launch({
      socketPath: here.env.OPENCODE_MULTI_AUTH_SOCKET,
      stderrFile: join(here.root, 'state', 'daemon.stderr'),
      env: here.env,
      auto: true,
      spawn: counting,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteDaemonUnreachableError)
    expect((err as Error).message).toMatch(/ssh/)
    expect(spawned).toBe(0)
    // Nor does an account change fall back to a local one-shot store.
    const offline = await runCli(['add-tokens'], {
      env: here.env,
      input: JSON.stringify({
        ...mintTokens({ email: 's@example.com', accountId: 'sa', userId: 'su' }),
        refreshToken: 'rt_local_0123456789abcdef',
      }),
    })
    expect(offline.code).toBe(3)
    expect(offline.stderr).toContain('forwarded socket')
    expect(existsSync(here.storeFile)).toBe(false)
    expect(existsSync(dirname(here.storeFile))).toBe(false)
  }, 90_000)
})
