import { request } from 'node:http'

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTP request with full control of Host, Origin and Cookie (fetch forbids setting Host). */
export function http(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: { host: `127.0.0.1:${port}`, ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** The headers the page itself sends on a POST. */
export function pageHeaders(port: number, cookie?: string): Record<string, string> {
  return {
    origin: `http://127.0.0.1:${port}`,
    'content-type': 'application/json',
    ...(cookie ? { cookie } : {}),
  }
}

/** Spends a one-time link's code and returns the cookie the answer set. */
export async function signIn(port: number, url: string): Promise<string> {
  const code = new URL(url).hash.replace(/^#code=/, '')
  const res = await http(port, {
    method: 'POST',
    path: '/auth',
    headers: pageHeaders(port),
    body: JSON.stringify({ code }),
  })
  if (res.status !== 204) throw new Error(`sign-in failed: ${res.status} ${res.body}`)
  const setCookie = res.headers['set-cookie']?.[0] ?? ''
  return setCookie.split(';')[0] ?? ''
}

export function rpcBody(method: string, params: unknown = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params })
}
