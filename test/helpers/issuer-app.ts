/**
 * The fake issuer plus an in-process daemon that refreshes against it, with no
 * keep-alive (it would refresh expiring accounts on its own and eat scripted failures).
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { startFakeIssuer, type FakeIssuer, type FakeIssuerOptions } from '../fakes/issuer.js'
import { startTestApp, type TestApp } from './app.js'

export interface IssuerApp {
  issuer: FakeIssuer
  app: TestApp
  /** Closes the daemon, then the issuer. */
  close(): Promise<void>
}

export interface IssuerAppOptions {
  issuer?: FakeIssuerOptions
  /** Extra daemon environment (OPENCODE_MULTI_AUTH_ISSUER is set to the fake's URL). */
  env?: Record<string, string>
}

export async function startIssuerApp(opts: IssuerAppOptions = {}): Promise<IssuerApp> {
  const issuer = await startFakeIssuer(opts.issuer)
  let app: TestApp
  try {
    app = await startTestApp({ env: { OPENCODE_MULTI_AUTH_ISSUER: issuer.url, ...opts.env }, noKeepAlive: true })
  } catch (e) {
    await issuer.close()
    throw e
  }
  return {
    issuer,
    app,
    async close() {
      await app.close()
      await issuer.close()
    },
  }
}

/**
 * Registers the hooks that start a pair before each test (or once for the
 * describe block, with `once`) and close it after; read `issuer` and `t` inside tests.
 */
export function useIssuerApp(opts: IssuerAppOptions & { once?: boolean } = {}): {
  readonly issuer: FakeIssuer
  readonly t: TestApp
} {
  let cur: IssuerApp | undefined
  const [before, after] = opts.once ? [beforeAll, afterAll] : [beforeEach, afterEach]
  before(async () => {
    cur = await startIssuerApp(opts)
  })
  after(async () => {
    await cur?.close()
    cur = undefined
  })
  const current = (): IssuerApp => {
    if (!cur) throw new Error('useIssuerApp: read outside a test')
    return cur
  }
  return {
    get issuer() {
      return current().issuer
    },
    get t() {
      return current().app
    },
  }
}

/**
 * For tests that start their own daemon (each with its own options): registers an
 * afterEach that closes whatever these started during the test.
 */
export function closedAfterEach(): {
  /** The fake issuer and a daemon using it. */
  withIssuer(opts?: IssuerAppOptions): Promise<IssuerApp>
  /** A daemon alone (no keep-alive; the default unroutable issuer). */
  app(): Promise<TestApp>
} {
  const open: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close()
  })
  return {
    async withIssuer(opts) {
      const x = await startIssuerApp(opts)
      open.push(x)
      return x
    },
    async app() {
      const t = await startTestApp({ noKeepAlive: true })
      open.push(t)
      return t
    },
  }
}
