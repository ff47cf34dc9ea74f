import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../deps.js'

/** How long a link from `dashboard.open` can still be used to sign in. */
export const LINK_TTL_MS = 5 * 60_000
/** Unused links kept at once; the oldest is dropped past this. */
const MAX_PENDING_LINKS = 16

function secret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The dashboard's credentials. A session secret is made when the dashboard
 * starts and lives only in memory; a browser gets it as an HttpOnly cookie in
 * exchange for a one-time code, which reaches the browser only in the URL
 * fragment of the link `dashboard.open` returns (a fragment is never sent to a
 * server, so it stays out of request lines, logs and Referer headers).
 */
export class SignIn {
  private readonly session = Buffer.from(secret())
  /** code → expiry (epoch ms); a Map, so no outside string can reach a prototype key. */
  private readonly pending = new Map<string, number>()

  constructor(private readonly clock: Clock) {}

  /** A fresh one-time code and when it stops working. */
  issue(): { code: string; expiresAt: number } {
    this.prune()
    while (this.pending.size >= MAX_PENDING_LINKS) {
      const oldest = this.pending.keys().next().value
      if (oldest === undefined) break
      this.pending.delete(oldest)
    }
    const code = secret()
    const expiresAt = this.clock.now() + LINK_TTL_MS
    this.pending.set(code, expiresAt)
    return { code, expiresAt }
  }

  /** Spends a code: the session secret on the first use within its time, undefined ever after. */
  redeem(code: unknown): string | undefined {
    if (typeof code !== 'string' || code.length > 200) return undefined
    const expiresAt = this.pending.get(code)
    if (expiresAt === undefined) return undefined
    this.pending.delete(code)
    if (expiresAt <= this.clock.now()) return undefined
    return this.session.toString()
  }

  /** Whether a cookie value is the session secret (constant time). */
  verify(value: string | undefined): boolean {
    if (value === undefined) return false
    const given = Buffer.from(value)
    return given.length === this.session.length && timingSafeEqual(given, this.session)
  }

  private prune(): void {
    const now = this.clock.now()
    for (const [code, expiresAt] of this.pending) if (expiresAt <= now) this.pending.delete(code)
  }
}
