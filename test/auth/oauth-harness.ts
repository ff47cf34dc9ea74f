/** Shared fake-fetch + FakeClock harness for the OAuth client tests. */
import { expect } from 'vitest'
import type { FetchFn, LogMeta, Logger } from '../../daemon/deps.js'
import { createOAuthClient } from '../../daemon/auth/oauth-client.js'
import { FakeClock } from '../helpers/clock.js'

export const ISSUER = 'https://auth.example.test'
export const RT = 'rt_OLD_9f8e7d6c5b4a39281706f5e4d3c2b1a0'
export const TIMEOUT = 20_000

export interface Call {
  url: string
  init: RequestInit
  at: number
}

export type Responder = (call: Call, n: number) => Response | Promise<Response>

export function harness(respond: Responder, opts: { issuer?: string } = {}) {
  const clock = new FakeClock()
  const calls: Call[] = []
  const logs: string[] = []
  const log =
    (level: string) =>
    (message: string, meta?: LogMeta): void => {
      logs.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`)
    }
  const logger: Logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') }
  const fetch: FetchFn = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const call = { url, init: init ?? {}, at: clock.now() }
    calls.push(call)
    return respond(call, calls.length)
  }
  const client = createOAuthClient({ issuer: opts.issuer ?? ISSUER, fetch, clock, timeoutMs: TIMEOUT, logger })
  const t0 = clock.now()
  return { clock, calls, logs, client, t0 }
}

export const jsonResponse = (status: number, body: unknown): Response =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })

/** A request that never answers but, like real fetch, rejects when aborted. */
export const hang: Responder = (call) =>
  new Promise<Response>((_, reject) => {
    call.init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
  })

export const refused: Responder = () => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) })
}

export async function settle<T>(clock: FakeClock, p: Promise<T>, ms: number): Promise<unknown> {
  const caught = p.catch((e: unknown) => e)
  await clock.advance(ms)
  return caught
}

export function expectClean(err: unknown, logs: string[]): void {
  const text = `${String(err)} ${(err as Error | undefined)?.stack ?? ''} ${logs.join('\n')}`
  expect(text).not.toContain(RT)
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
}
