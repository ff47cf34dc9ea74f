/**
 * client/rpc against stand-in servers on a Unix socket: the one clear error
 * when nothing answers, the protocol-skew check, per-call timeouts, a daemon
 * that goes away mid-call, and notifications reaching subscribers.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../client/rpc/client.js'
import { CallTimeoutError, DaemonNotRunningError, ProtocolSkewError } from '../../client/rpc/errors.js'
import { PROTOCOL_VERSION } from '../../protocol/version.js'

type Reply = (req: { id: unknown; method: string }, socket: Socket) => unknown

const servers: Server[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function socketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oma-rpc-'))
  dirs.push(dir)
  return join(dir, 's.sock')
}

/** A stand-in daemon: `reply` returns the message to send back, or undefined for silence. */
async function fakeDaemon(reply: Reply): Promise<{ path: string; sockets: Socket[] }> {
  const path = socketPath()
  const sockets: Socket[] = []
  const server = createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
    let buf = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk
      for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
        const req = JSON.parse(buf.slice(0, i)) as { id: unknown; method: string }
        buf = buf.slice(i + 1)
        const answer = reply(req, socket)
        if (answer !== undefined) socket.write(JSON.stringify(answer) + '\n')
      }
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(path, r))
  server.unref()
  return { path, sockets }
}

const status = (protocolVersion: number) => ({ version: '0.0.0', protocolVersion, pid: 1 })

describe('RpcClient', () => {
  it('says no daemon is running, and how to start one, when nothing listens', async () => {
    const path = socketPath()
    const err = await RpcClient.connect({ socketPath: path }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DaemonNotRunningError)
    expect((err as Error).message).toContain(path)
    expect((err as Error).message).toContain('opencode-multi-auth daemon start')
  })

  it('refuses a daemon that speaks another protocol version, saying what to do', async () => {
    const { path } = await fakeDaemon((req) => ({ jsonrpc: '2.0', id: req.id, result: status(PROTOCOL_VERSION + 1) }))
    const err = await RpcClient.connect({ socketPath: path }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProtocolSkewError)
    expect((err as Error).message).toContain(`protocol ${PROTOCOL_VERSION + 1}`)
    expect((err as Error).message).toMatch(/daemon restart/)
    // The same daemon with the right version is accepted.
    const ok = await fakeDaemon((req) => ({ jsonrpc: '2.0', id: req.id, result: status(PROTOCOL_VERSION) }))
    const client = await RpcClient.connect({ socketPath: ok.path })
    client.close()
  })

  it('times a call out per call, and the connection stays usable', async () => {
    const { path } = await fakeDaemon((req) =>
      req.method === 'logs.tail' ? undefined : { jsonrpc: '2.0', id: req.id, result: status(PROTOCOL_VERSION) },
    )
    const client = await RpcClient.connect({ socketPath: path, timeoutMs: 10_000 })
    const t0 = Date.now()
    const err = await client.call('logs.tail', {}, { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CallTimeoutError)
    expect((err as Error).message).toContain('logs.tail')
    expect(Date.now() - t0).toBeLessThan(5000)
    expect((await client.call('daemon.status', {})).protocolVersion).toBe(PROTOCOL_VERSION)
    client.close()
  })

  it('fails a pending call with DaemonNotRunningError when the daemon goes away mid-call', async () => {
    const fake = await fakeDaemon((req, socket) => {
      if (req.method === 'daemon.status') return { jsonrpc: '2.0', id: req.id, result: status(PROTOCOL_VERSION) }
      socket.destroy()
      return undefined
    })
    const client = await RpcClient.connect({ socketPath: fake.path, timeoutMs: 10_000 })
    const closed = new Promise<Error | undefined>((r) => client.onClose(r))
    const err = await client.call('accounts.list', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DaemonNotRunningError)
    expect(await closed).toBeInstanceOf(DaemonNotRunningError)
    expect(client.closed).toBe(true)
    await expect(client.call('daemon.status', {})).rejects.toBeInstanceOf(DaemonNotRunningError)
  })

  it('an oversized answer closes the connection with a clear error instead of throwing', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10)
    const { path } = await fakeDaemon((req) =>
      req.method === 'daemon.status'
        ? { jsonrpc: '2.0', id: req.id, result: status(PROTOCOL_VERSION) }
        : { jsonrpc: '2.0', id: req.id, result: { big } },
    )
    const client = await RpcClient.connect({ socketPath: path, timeoutMs: 5000 })
    await expect(client.call('logs.tail', {})).rejects.toBeInstanceOf(DaemonNotRunningError)
    expect(client.closed).toBe(true)
  })

  it('closes its socket when the version check fails', async () => {
    const { path, sockets } = await fakeDaemon(() => undefined) // never answers
    await expect(RpcClient.connect({ socketPath: path, timeoutMs: 200 })).rejects.toBeInstanceOf(CallTimeoutError)
    await new Promise((r) => setImmediate(r))
    await new Promise<void>((r) => (sockets[0].destroyed ? r() : sockets[0].once('close', () => r())))
    expect(sockets[0].destroyed).toBe(true)
  })

  it('hands event notifications to subscribers, and ignores other notifications', async () => {
    const fake = await fakeDaemon((req, socket) => {
      if (req.method === 'events.subscribe') {
        setImmediate(() => {
          socket.write(
            JSON.stringify({ jsonrpc: '2.0', method: 'something.else', params: { type: 'account.updated' } }) + '\n',
          )
          socket.write(
            JSON.stringify({
              jsonrpc: '2.0',
              method: 'event',
              params: { type: 'account.updated', alias: 'a', at: 1 },
            }) + '\n',
          )
        })
        return { jsonrpc: '2.0', id: req.id, result: { subscribed: ['account.updated'] } }
      }
      return { jsonrpc: '2.0', id: req.id, result: status(PROTOCOL_VERSION) }
    })
    const client = await RpcClient.connect({ socketPath: fake.path })
    const got = new Promise((resolve) => void client.subscribe(['account.updated'], resolve))
    expect(await got).toEqual({ type: 'account.updated', alias: 'a', at: 1 })
    client.close()
  })
})
