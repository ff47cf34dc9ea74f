#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startApp, type App } from './app.js'
import { ONESHOT_EXIT_LOCKED, runOneshot } from './oneshot.js'
import { ConfigError, forgetSecrets, resolveConfig, type DaemonConfig } from './config.js'
import { createLogger } from './log/logger.js'
import { takeListenFd } from './server/listen-fds.js'
import { SocketSetupError } from './server/socket-path.js'
import { StoreEncryptedError, StoreLockedError } from './store/store.js'
import { PACKAGE_VERSION } from '../protocol/version.js'

const USAGE = `Usage: opencode-multi-authd [--passphrase-file FILE | --passphrase-stdin] [--dashboard-port PORT] [--gateway] [--gateway-port PORT] [--oneshot] [--version] [--help]

Runs the opencode-multi-auth daemon in the foreground. It owns the account
store and answers JSON-RPC on a Unix socket. Environment: see README.md.
--oneshot: no daemon; apply one account change (a JSON-RPC request on stdin)
under the store lock and print the answer (the CLI uses this when no daemon runs).
--passphrase-stdin: the first line of stdin is the store passphrase (how a client
starts the daemon without putting it in the daemon's environment).
--dashboard-port: the dashboard's port on 127.0.0.1 (0 picks one), over the
dashboardPort setting (default 3434).
--gateway: serve the local gateway for the Codex CLI whatever the gatewayEnabled
setting says (on 127.0.0.1, port --gateway-port or the gatewayPort setting; docs/codex.md).`

/** Exit codes: 0 clean stop, 1 could not start (another daemon, locked or encrypted store, bad socket). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'passphrase-file': { type: 'string' },
      'passphrase-stdin': { type: 'boolean' },
      'dashboard-port': { type: 'string' },
      oneshot: { type: 'boolean' },
      gateway: { type: 'boolean' },
      'gateway-port': { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return void console.log(USAGE)
  if (values.version) return void console.log(PACKAGE_VERSION)

  const given = values['passphrase-stdin'] ? await readPassphrase() : undefined
  const dashboardPort = parsePort('--dashboard-port', values['dashboard-port'])
  const gatewayPort = parsePort('--gateway-port', values['gateway-port'])
  let config: DaemonConfig
  try {
    config = resolveConfig({
      env: process.env,
      passphraseFile: values['passphrase-file'],
      passphrase: given,
      dashboardPort,
      ...(values.gateway || gatewayPort !== undefined
        ? { gateway: gatewayPort === undefined ? {} : { port: gatewayPort } }
        : {}),
    })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // No logger yet: the log file's place is part of the configuration.
    process.stderr.write(`opencode-multi-authd: ${err.message}\n`)
    process.exit(1)
  }
  // Read once; no child of ours (flock, anything later) inherits it, nor does /proc/<pid>/environ show it to us again.
  forgetSecrets(process.env)
  if (values.oneshot) return oneshot(config)
  const logger = createLogger({ level: config.logLevel, file: config.logFile })
  let app: App | undefined
  let exiting = false

  const exit = async (code: number): Promise<void> => {
    if (exiting) return
    exiting = true
    try {
      await app?.stop()
    } catch (err) {
      logger.error('error while stopping', { error: err instanceof Error ? err.message : String(err) })
      code = code || 1
    }
    logger.info('daemon stopped', { code })
    await logger.close()
    process.exit(code)
  }

  process.on('SIGTERM', () => void exit(0))
  process.on('SIGINT', () => void exit(0))
  process.on('SIGHUP', () => logger.reopen())
  process.on('unhandledRejection', (err) => {
    logger.error('unhandled rejection', { error: err instanceof Error ? err.stack : String(err) })
  })

  try {
    const listenFd = takeListenFd(process.env, process.pid)
    app = await startApp({ config, logger, pid: process.pid, listenFd, onShutdownRequest: () => void exit(0) })
  } catch (err) {
    const known =
      err instanceof StoreLockedError || err instanceof StoreEncryptedError || err instanceof SocketSetupError
    // A known failure is its own message; only an unknown one needs the stack.
    if (known) logger.error(err.message)
    else logger.error('daemon failed to start', { error: err instanceof Error ? err.stack : String(err) })
    await logger.close()
    process.exit(1)
  }
}

/** The first line of stdin, bounded: a passphrase is short, and stdin might be anything. */
async function readPassphrase(): Promise<string | undefined> {
  let text = ''
  for await (const c of process.stdin) {
    text += (c as Buffer).toString('utf8')
    if (text.includes('\n') || text.length > 64 * 1024) break
  }
  const line = text.split('\n')[0]?.replace(/\r$/, '')
  return line || undefined
}

/** `--oneshot`: one account change from stdin, the answer on stdout; exit 75 when a daemon holds the store, 1 on other failures. */
async function oneshot(config: DaemonConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel, file: config.logFile })
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  try {
    process.stdout.write(`${await runOneshot(config, logger, Buffer.concat(chunks).toString('utf8').trim())}\n`)
  } catch (err) {
    const known = err instanceof StoreLockedError || err instanceof StoreEncryptedError
    if (known) logger.error(err.message)
    else logger.error('one-shot change failed', { error: String(err) })
    // 75 (EX_TEMPFAIL): a daemon holds the store, so the client should ask it instead.
    process.exitCode = err instanceof StoreLockedError ? ONESHOT_EXIT_LOCKED : 1
  }
  await logger.close()
}

function parsePort(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN
  if (!(port >= 0 && port <= 65_535)) {
    console.error(`${flag} wants a port number 0-65535, got ${JSON.stringify(raw)}`)
    process.exit(2)
  }
  return port
}

void main()
