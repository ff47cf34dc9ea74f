/**
 * A forward proxy that only speaks CONNECT, on 127.0.0.1:<random>, tunnelling
 * to loopback targets only. It records every tunnel asked for, so a test can
 * tell that a call went through it (and could not have read the TLS inside).
 */
import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'

export interface ConnectProxy {
  url: string
  /** "host:port" of each CONNECT, in order. */
  tunnels: string[]
  close(): Promise<void>
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' })
    res.end('this test proxy only tunnels (CONNECT)')
  })
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    const target = req.url ?? ''
    tunnels.push(target)
    const m = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(target)
    if (!m) return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    const upstream = connect(Number(m[2]), m[1] === 'localhost' ? '127.0.0.1' : (m[1] ?? '').replace(/[[\]]/g, ''))
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  if (!addr || typeof addr === 'string') throw new Error('proxy has no address')
  return {
    url: `http://127.0.0.1:${addr.port}`,
    tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
