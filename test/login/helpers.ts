import { createServer, type Server } from 'node:net'

/** A port that was free a moment ago (the OS hands out a fresh one each time). */
export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const addr = s.address()
  const port = addr && typeof addr === 'object' ? addr.port : 0
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Keeps a port busy on 127.0.0.1 (or the given host, e.g. ::1) until close(). */
export async function occupy(port = 0, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const s: Server = createServer()
  await new Promise<void>((r) => s.listen({ port, host, ipv6Only: host === '::1' }, () => r()))
  const addr = s.address()
  return {
    port: addr && typeof addr === 'object' ? addr.port : port,
    close: () => new Promise<void>((r) => s.close(() => r())),
  }
}

/** A browser's fetch of the callback, on IPv4 (the server binds 127.0.0.1; `localhost` may mean ::1). */
export function toLoopback(url: string): string {
  const u = new URL(url)
  if (u.hostname === 'localhost') u.hostname = '127.0.0.1'
  return u.toString()
}

/** OPENCODE_MULTI_AUTH_LOGIN_PORTS naming two ports free a moment ago. */
export async function twoFreePorts(): Promise<string> {
  return `${await freePort()},${await freePort()}`
}
