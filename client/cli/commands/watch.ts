import type { Command } from 'commander'
import { ALERT_TOPICS, alertEventSchema, describeAlert, notifierCommand } from '../../../protocol/alerts.js'
import type { DaemonEvent } from '../../../protocol/events.js'
import { RpcClient } from '../../rpc/client.js'
import { makeCli, type GlobalOptions } from '../context.js'
import { DaemonNotRunningError } from '../../rpc/errors.js'
import { nodeNotifySpawn, type NotifySpawn } from '../notify.js'
import type { Action } from '../program.js'

export interface WatchOptions {
  json: boolean
  print(line: string): void
  error(line: string): void
  /** Desktop notifications too. */
  notify?: { spawn: NotifySpawn; platform: string }
}

/** One line per alert: time, type, what happened. */
export function alertLine(e: DaemonEvent): string {
  const parsed = alertEventSchema.safeParse(e)
  const text = parsed.success ? describeAlert(parsed.data).text : 'alias' in e ? e.alias : ''
  return `${new Date(e.at).toISOString()}  ${e.type}  ${text}`
}

/**
 * Prints alerts as they come (NDJSON with json) and, with notify, raises a desktop
 * notification per alert. A missing notifier is said once; printing goes on.
 * Resolves when the daemon closes the connection.
 */
export async function runWatch(client: Pick<RpcClient, 'subscribe' | 'onClose'>, opts: WatchOptions): Promise<void> {
  let notifier = opts.notify
  const closed = new Promise<void>((resolve) => client.onClose(() => resolve()))
  await client.subscribe([...ALERT_TOPICS], (e) => {
    opts.print(opts.json ? JSON.stringify(e) : alertLine(e))
    const alert = alertEventSchema.safeParse(e)
    if (!notifier || !alert.success) return
    const { title, text } = describeAlert(alert.data)
    const cmd = notifierCommand(notifier.platform, title, text)
    const using = notifier
    if (!cmd) {
      notifier = undefined
      opts.error(`no desktop notifier is known for ${using.platform}; printing only`)
      return
    }
    void using.spawn(cmd.command, cmd.args).then((ok) => {
      if (ok || notifier !== using) return
      notifier = undefined
      opts.error(`${cmd.command} is not installed; printing only`)
    })
  })
  await closed
}

/** Between reconnection attempts after the daemon went away (a restart, a service reload). */
const RECONNECT_MS = 1_000

export function registerWatch(program: Command, run: Action): void {
  program
    .command('watch')
    .description('print alerts live: accounts running low, limits resetting, sign-ins lost, the pool running out')
    .option('--json', 'one JSON object per line (NDJSON)')
    .option('--notify', 'raise a desktop notification per alert too (notify-send, osascript)')
    .action(
      run(async (opts: GlobalOptions & { notify?: boolean }) => {
        const cli = makeCli(opts)
        const connect = (): Promise<RpcClient> => RpcClient.connect({ socketPath: cli.socketPath, timeoutMs: 10_000 })
        // No daemon at the start is an error like for every command; one that goes away later is waited for.
        let client: RpcClient | undefined = await connect()
        let stopped = false
        const stop = (): void => {
          stopped = true
          client?.close()
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        const options: WatchOptions = {
          json: cli.out.json,
          print: (l) => cli.out.print(l),
          error: (l) => cli.out.error(l),
          ...(opts.notify ? { notify: { spawn: nodeNotifySpawn(process.env), platform: process.platform } } : {}),
        }
        while (!stopped) {
          if (client) {
            await runWatch(client, options)
            client = undefined
            if (stopped) break
            cli.out.error('the daemon closed the connection; waiting for it to come back')
          }
          await new Promise((r) => setTimeout(r, RECONNECT_MS))
          if (stopped) break
          client = await connect().catch((err: unknown) => {
            if (err instanceof DaemonNotRunningError) return undefined
            throw err
          })
          if (client && !stopped) cli.out.error('reconnected to the daemon')
        }
        client?.close()
      }),
    )
}
