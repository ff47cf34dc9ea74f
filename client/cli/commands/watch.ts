import type { Command } from 'commander'
import { ALERT_TOPICS, alertEventSchema, describeAlert, notifierCommand } from '../../../protocol/alerts.js'
import type { DaemonEvent } from '../../../protocol/schemas.js'
import { RpcClient } from '../../rpc/client.js'
import { EXIT, makeCli, type GlobalOptions } from '../context.js'
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
  const text = parsed.success ? describeAlert(parsed.data).text : (e.alias ?? '')
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

export function registerWatch(program: Command, run: Action): void {
  program
    .command('watch')
    .description('print alerts live: accounts running low, limits resetting, sign-ins lost, the pool running out')
    .option('--json', 'one JSON object per line (NDJSON)')
    .option('--notify', 'raise a desktop notification per alert too (notify-send, osascript)')
    .action(
      run(async (opts: GlobalOptions & { notify?: boolean }) => {
        const cli = makeCli(opts)
        const client = await RpcClient.connect({ socketPath: cli.socketPath, timeoutMs: 10_000 })
        let interrupted = false
        const stop = (): void => {
          interrupted = true
          client.close()
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        await runWatch(client, {
          json: cli.out.json,
          print: (l) => cli.out.print(l),
          error: (l) => cli.out.error(l),
          ...(opts.notify ? { notify: { spawn: nodeNotifySpawn(process.env), platform: process.platform } } : {}),
        })
        if (!interrupted) {
          cli.out.error('the daemon closed the connection')
          process.exitCode = EXIT.NO_DAEMON
        }
      }),
    )
}
