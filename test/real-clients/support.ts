/** What the real-client tests share: where the clients are installed, and the no-internet guard (RECIPES.md §1). */
import { createServer, type Server } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** This folder; the real clients are installed test-only in its node_modules. */
export const RC = dirname(fileURLToPath(import.meta.url))

/** A path inside this folder's node_modules. */
export const installed = (...path: string[]): string => join(RC, 'node_modules', ...path)

export interface Guard {
  url: string
  /** Every request that reached the guard: each one an attempt to reach the internet. */
  attempts: string[]
  close(): Promise<void>
}

/** RECIPES.md §1 guard: HTTP(S)_PROXY points here; a CONNECT or absolute-URL request is an attempt to reach the internet. */
export async function startGuard(): Promise<Guard> {
  const attempts: string[] = []
  const server: Server = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`)
    res.writeHead(403).end()
  })
  server.on('connect', (req, socket) => {
    attempts.push(`CONNECT ${req.url}`)
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const addr = server.address()
  return {
    url: `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`,
    attempts,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

/** Environment that sends anything not loopback to the guard at `proxyUrl` (refused at once, and recorded). */
export function proxyEnv(proxyUrl: string): Record<string, string> {
  return { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1,localhost' }
}
