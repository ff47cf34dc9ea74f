#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startApp, type App } from './app.js'
import { ONESHOT_EXIT_LOCKED, runOneshot } from './oneshot.js'
import { forgetSecrets, resolveConfig } from './config.js'
import { createLogger } from './log/logger.js'
import { takeListenFd } from './server/listen-fds.js'
import { SocketSetupError } from './server/socket-path.js'
import { StoreEncryptedError, StoreLockedError } from './store/store.js'
import { PACKAGE_VERSION } from '../protocol/version.js'

const USAGE = `Usage: opencode-multi-authd [--passphrase-file FILE | --passphrase-stdin] [--oneshot] [--version] [--help]

Runs the opencode-multi-auth daemon in the foreground. It owns the account
store and answers JSON-RPC on a Unix socket. Environment: see README.md.
--oneshot: no daemon; apply one account change (a JSON-RPC request on stdin)
under the store lock and print the answer (the CLI uses this when no daemon runs).
--passphrase-stdin: the first line of stdin is the store passphrase (how a client
starts the daemon without putting it in the daemon's environment).`

/** Exit codes: 0 clean stop, 1 could not start (another daemon, locked or encrypted store, bad socket). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'passphrase-file': { type: 'string' },
      'passphrase-stdin': { type: 'boolean' },
      oneshot: { type: 'boolean' },
      version: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return void console.log(USAGE)
  if (values.version) return void console.log(PACKAGE_VERSION)

  const given = values['passphrase-stdin'] ? await readPassphrase() : undefined
  const config = resolveConfig({ env: process.env, passphraseFile: values['passphrase-file'], passphrase: given })
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
    logger.error(known ? (err).message : 'daemon failed to start', {
      error: known ? undefined : err instanceof Error ? err.stack : String(err),
    })
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
async function oneshot(config: ReturnType<typeof resolveConfig>): Promise<void> {
  const logger = createLogger({ level: config.logLevel, file: config.logFile })
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  try {
    process.stdout.write(`${await runOneshot(config, logger, Buffer.concat(chunks).toString('utf8').trim())}\n`)
  } catch (err) {
    const known = err instanceof StoreLockedError || err instanceof StoreEncryptedError
    logger.error(known ? (err).message : 'one-shot change failed', { error: known ? undefined : String(err) })
    // 75 (EX_TEMPFAIL): a daemon holds the store, so the client should ask it instead.
    process.exitCode = err instanceof StoreLockedError ? ONESHOT_EXIT_LOCKED : 1
  }
  await logger.close()
}

void main()
