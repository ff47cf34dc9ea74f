import type { JSONRPCServer } from 'json-rpc-2.0'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { DashboardOpen } from '../../protocol/methods.js'
import type { Clock, Logger } from '../deps.js'
import type { CallContext } from '../server/dispatch.js'
import type { WebServer } from './http-server.js'
import type { SignIn } from './sign-in.js'

export interface DashboardDeps {
  clock: Clock
  logger: Logger
  /** The socket's dispatcher; a thunk because it is built from handlers that include `dashboard.open`. */
  dispatcher: () => JSONRPCServer<CallContext>
  /** The port to listen on, read when the dashboard starts: the flag, else the setting. */
  port: () => number
  staticDir?: string
}

/**
 * The dashboard's lifetime. Off until first asked for (no listener, no timer,
 * no secret in memory), then on until the daemon stops; `dashboardAlwaysOn`
 * starts it with the daemon. Each start makes a new session secret.
 */
export class Dashboard {
  private server: WebServer | undefined
  private signIn: SignIn | undefined
  private starting: Promise<void> | undefined

  constructor(private readonly deps: DashboardDeps) {}

  get running(): boolean {
    return this.server !== undefined
  }

  /** The listener's origin, once running. */
  get origin(): string | undefined {
    return this.server ? `http://127.0.0.1:${this.server.port}` : undefined
  }

  start(): Promise<void> {
    this.starting ??= this.listen().catch((err: unknown) => {
      this.starting = undefined
      throw err
    })
    return this.starting
  }

  /** Starts the dashboard if it is off and makes a one-time sign-in link for it. */
  async open(): Promise<DashboardOpen> {
    await this.start()
    const signIn = this.signIn
    const origin = this.origin
    if (!signIn || !origin) throw new RpcError(ErrorCode.INTERNAL_ERROR, 'the dashboard stopped while starting')
    const { code, expiresAt } = signIn.issue()
    // The code rides in the fragment: browsers never send it, so no log or Referer can hold it.
    return { url: `${origin}/#code=${code}`, origin, expiresAt }
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => {})
    const server = this.server
    this.server = undefined
    this.signIn = undefined
    this.starting = undefined
    await server?.close()
  }

  private async listen(): Promise<void> {
    const port = this.deps.port()
    // The HTTP server and the page are loaded by the first start, not with the daemon (off until asked for).
    const [{ WebServer }, { SignIn }, { findStaticDir, loadStaticFiles }, { servedOverHttp }] = await Promise.all([
      import('./http-server.js'),
      import('./sign-in.js'),
      import('./static-files.js'),
      import('./transports.js'),
    ])
    const files = await loadStaticFiles(this.deps.staticDir ?? findStaticDir())
    const signIn = new SignIn(this.deps.clock)
    const server = new WebServer({
      port,
      dispatcher: this.deps.dispatcher(),
      signIn,
      files,
      logger: this.deps.logger,
      allow: servedOverHttp,
    })
    try {
      await server.listen()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw new RpcError(
          ErrorCode.CONFLICT,
          `the dashboard cannot listen on 127.0.0.1:${port} (${code === 'EADDRINUSE' ? 'in use' : 'not allowed'}); ` +
            'set dashboardPort (0 picks a free one) or start the daemon with --dashboard-port',
          { port },
        )
      }
      throw err
    }
    this.server = server
    this.signIn = signIn
    this.deps.logger.info('dashboard listening', { origin: this.origin })
  }
}
