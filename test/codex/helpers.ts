/** Shared bits of the Codex sync tests: tokens in auth.json form, and waiting on conditions. */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { codexAuthFile, type CodexAuthFile } from '../fakes/codex-cli.js'
import { mintTokens, type Identity } from '../fakes/jwt.js'
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'

export const alice: Identity = { email: 'alice@example.com', accountId: 'acc-alice', userId: 'user-alice' }
export const bob: Identity = { email: 'bob@example.com', accountId: 'acc-bob', userId: 'user-bob' }

export interface Pair {
  accessToken: string
  refreshToken: string
  idToken: string
}

/** A token pair for `who`, issued at `iat` (epoch seconds). */
export function pairFor(who: Identity, iat: number = Math.floor(Date.now() / 1000)): Pair {
  return { ...mintTokens(who, { iat }), refreshToken: `rt_${randomBytes(12).toString('hex')}` }
}

export function authJsonFor(p: Pair, extra: Record<string, unknown> = {}): CodexAuthFile & Record<string, unknown> {
  return { ...codexAuthFile(p), ...extra }
}

/** Writes in place (truncate + write), like Codex before 0.169. */
export function writeInPlace(file: string, json: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(json, null, 2), { mode: 0o600 })
}

export function readJson(file: string): Record<string, unknown> & { tokens: Record<string, unknown> } {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & { tokens: Record<string, unknown> }
}

/** Polls `fn` until it returns something truthy; fails with `what` after the deadline. */
export async function until<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 5000,
  everyMs = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${inspect(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
