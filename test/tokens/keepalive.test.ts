import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { OAuthClient, TokenSet } from '../../daemon/auth/oauth-client.js'
import { RefreshError } from '../../daemon/auth/oauth-errors.js'
import { silentLogger } from '../../daemon/deps.js'
import { EventBus } from '../../daemon/events.js'
import { AccountStore } from '../../daemon/store/store.js'
import { BACKOFF_MIN_MS, KeepAlive } from '../../daemon/tokens/keepalive.js'
import { Refresher } from '../../daemon/tokens/refresher.js'
import { upsertTokens } from '../../daemon/accounts/upsert.js'
import { FakeClock } from '../helpers/clock.js'
import { mintTokens } from '../fakes/jwt.js'
import { identity } from '../helpers/accounts.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** An OAuth client that mints a fresh pair per call, or fails as scripted. */
class StubOAuth implements OAuthClient {
  calls: { at: number; token: string }[] = []
  failures: RefreshError[] = []
  ttlS = 10 * 86_400
  constructor(private readonly clock: FakeClock) {}
  async refresh(refreshToken: string): Promise<TokenSet> {
    this.calls.push({ at: this.clock.now(), token: refreshToken })
    const f = this.failures.shift()
    if (f) throw f
    const t = mintTokens(identity(1), { iat: Math.floor(this.clock.now() / 1000), expiresInS: this.ttlS })
    return { ...t, refreshToken: `rt-${this.calls.length}`, expiresAt: this.clock.now() + this.ttlS * 1000 }
  }
  exchangeCode(): never {
    throw new Error('not used')
  }
  async revoke(): Promise<boolean> {
    return true
  }
}

describe('keep-alive scheduler (docs/architecture.md#invariants, 5 and 15)', () => {
  let root: string
  let clock: FakeClock
  let store: AccountStore
  let oauth: StubOAuth
  let keepAlive: KeepAlive

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'oma-ka-'))
    clock = new FakeClock()
    store = await AccountStore.open({ file: join(root, 'accounts.json'), logger: silentLogger, clock })
    oauth = new StubOAuth(clock)
    const bus = new EventBus(clock)
    const refresher = new Refresher({ store, oauth, bus, clock, logger: silentLogger })
    keepAlive = new KeepAlive({ store, refresher, bus, clock, logger: silentLogger, random: () => 0.5, jitter: 0.1 })
    clock.settle = () => keepAlive.settled()
  })
  afterEach(async () => {
    keepAlive.stop()
    await store.close()
    rmSync(root, { recursive: true, force: true })
  })

  async function addAccount(expiresInMs: number, patch: Record<string, unknown> = {}): Promise<void> {
    const t = mintTokens(identity(1), { iat: Math.floor(clock.now() / 1000), expiresInS: expiresInMs / 1000 })
    await store.update((d) => {
      const r = upsertTokens(
        d,
        { ...t, refreshToken: 'rt-0', expiresAt: clock.now() + expiresInMs },
        { now: clock.now(), source: 'test' },
      )
      Object.assign(d.accounts[r.alias], patch)
    })
  }

  /** Adds an account whose access token was issued `issuedAgoMs` ago and lives `lifetimeMs` in all
   *  (expiry from the JWT, as `accounts.add` from stdin or a legacy import would have it). */
  async function addIssued(issuedAgoMs: number, lifetimeMs: number): Promise<void> {
    const iat = (clock.now() - issuedAgoMs) / 1000
    const t = mintTokens(identity(1), { iat, expiresInS: lifetimeMs / 1000 })
    await store.update((d) => {
      upsertTokens(d, { ...t, refreshToken: 'rt-0' }, { now: clock.now(), source: 'stdin' })
    })
  }

  it('schedules nothing when there are no accounts', async () => {
    keepAlive.start()
    expect(clock.timers).toEqual([])
    await clock.advance(30 * DAY)
    expect(oauth.calls).toHaveLength(0)
  })

  it('refreshes an idle account ahead of expiry, then again after the idle interval', async () => {
    const start = clock.now()
    await addAccount(3 * DAY)
    keepAlive.start()
    // Due when 24 h (+ jitter 0.05 × 24 h) of life remain: 3 d − 24 h − 1.2 h.
    const due = start + 3 * DAY - DAY - 0.05 * DAY
    expect(keepAlive.dueAt('user1', store.data.accounts.user1)).toBe(due)
    await clock.advance(due - start - 1)
    expect(oauth.calls).toHaveLength(0)
    await clock.advance(1)
    expect(oauth.calls).toHaveLength(1)
    expect(store.data.accounts.user1.refreshToken).toBe('rt-1')

    // Fresh 10-day token: the idle rule (every 4 days) now comes first.
    const afterFirst = clock.now()
    await clock.advance(4 * DAY - 1)
    expect(oauth.calls).toHaveLength(1)
    await clock.advance(1)
    expect(oauth.calls).toHaveLength(2)
    expect(oauth.calls[1].at).toBe(afterFirst + 4 * DAY)
    expect(oauth.calls[1].token).toBe('rt-1')
  })

  it('backs off after transient failures: 1 min, doubling, capped at 1 h', async () => {
    await addAccount(1000) // expired for keep-alive purposes: due now
    oauth.failures = Array.from({ length: 9 }, () => new RefreshError('server_error', 'HTTP 503', { permanent: false }))
    keepAlive.start()
    await clock.advance(500) // half of its one-second life
    expect(oauth.calls).toHaveLength(1)
    const gaps: number[] = []
    for (let i = 0; i < 8; i++) {
      const before = oauth.calls.length
      const last = oauth.calls[before - 1].at
      await clock.advance(store.data.accounts.user1.nextRefreshAt! - clock.now())
      expect(oauth.calls).toHaveLength(before + 1)
      gaps.push(oauth.calls[before].at - last)
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 60, 60].map((m) => m * BACKOFF_MIN_MS))
    // The next success clears the back-off.
    await clock.advance(store.data.accounts.user1.nextRefreshAt! - clock.now())
    expect(store.data.accounts.user1.refreshFailures).toBeUndefined()
    expect(store.data.accounts.user1.nextRefreshAt).toBeUndefined()
  })

  it('refreshes short-lived tokens at half their life, not in a loop', async () => {
    oauth.ttlS = 2 * 3600 // two hours: shorter than the 24 h look-ahead
    await addAccount(2 * HOUR)
    keepAlive.start()
    await clock.advance(10 * HOUR)
    // Due every hour (half of two), never back to back.
    expect(oauth.calls.length).toBeGreaterThanOrEqual(9)
    expect(oauth.calls.length).toBeLessThanOrEqual(11)
    const gaps = oauth.calls.slice(1).map((c, i) => c.at - oauth.calls[i].at)
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(HOUR - 1)
  })

  it('skips disabled and auth_invalid accounts', async () => {
    await addAccount(1000, { enabled: false })
    keepAlive.start()
    await clock.advance(10 * DAY)
    expect(oauth.calls).toHaveLength(0)
    await store.update((d) => {
      d.accounts.user1.enabled = true
      d.accounts.user1.authInvalid = true
    })
    keepAlive.reschedule()
    await clock.advance(10 * DAY)
    expect(oauth.calls).toHaveLength(0)
  })

  it('a permanent failure stops the keep-alive for that account', async () => {
    await addAccount(1000)
    oauth.failures = [new RefreshError('invalid_grant', 'rejected', { permanent: true, status: 400 })]
    keepAlive.start()
    await clock.advance(500)
    expect(store.data.accounts.user1.authInvalid).toBe(true)
    await clock.advance(30 * DAY)
    expect(oauth.calls).toHaveLength(1)
  })

  it('catches up at start: an account overdue while the daemon was down is refreshed at once', async () => {
    await addAccount(10 * DAY, { lastRefresh: new Date(clock.now() - 5 * DAY).toISOString() })
    keepAlive.start()
    await clock.advance(0)
    expect(oauth.calls).toHaveLength(1)
  })

  describe("a token's age is its own iat/exp, not when it reached the store", () => {
    it('refreshes at once an account added with a long-lived token that expires inside the look-ahead', async () => {
      // A 10-day token issued 9.5 days ago: 12 h left, well inside the 24 h look-ahead.
      await addIssued(9.5 * DAY, 10 * DAY)
      expect(store.data.accounts.user1.expiresAt).toBe(clock.now() + 12 * HOUR)
      keepAlive.start()
      expect(keepAlive.dueAt('user1', store.data.accounts.user1)).toBeLessThanOrEqual(clock.now())
      await clock.advance(0)
      expect(oauth.calls).toHaveLength(1)
      expect(store.data.accounts.user1.refreshToken).toBe('rt-1')
    })

    it('refreshes at once a short-lived token added past half its life', async () => {
      // A 2 h token issued 90 min ago: due at half its life, which is already behind us.
      await addIssued(90 * 60_000, 2 * HOUR)
      keepAlive.start()
      await clock.advance(0)
      expect(oauth.calls).toHaveLength(1)
    })

    it('refreshes at start an account whose due time passed while the daemon was down', async () => {
      await addIssued(0, 10 * DAY)
      const added = clock.now()
      // Down for 5 days: no keep-alive ran, and the 4-day idle refresh fell due meanwhile.
      await clock.advance(5 * DAY)
      expect(oauth.calls).toHaveLength(0)
      keepAlive.start()
      expect(keepAlive.dueAt('user1', store.data.accounts.user1)).toBeLessThanOrEqual(clock.now())
      await clock.advance(0)
      expect(oauth.calls).toHaveLength(1)
      expect(oauth.calls[0].at).toBe(added + 5 * DAY)
    })

    it('does not refresh a fresh account early', async () => {
      await addIssued(0, 10 * DAY)
      const added = clock.now()
      keepAlive.start()
      // The idle rule (every 4 days) comes before the 10-day token's look-ahead.
      expect(keepAlive.dueAt('user1', store.data.accounts.user1)).toBe(added + 4 * DAY)
      await clock.advance(4 * DAY - 1)
      expect(oauth.calls).toHaveLength(0)
      await clock.advance(1)
      expect(oauth.calls).toHaveLength(1)
    })

    it('counts a token issued days before it was added towards the idle rule', async () => {
      await addIssued(3 * DAY, 10 * DAY)
      keepAlive.start()
      expect(keepAlive.dueAt('user1', store.data.accounts.user1)).toBe(clock.now() + DAY)
    })
  })
})
