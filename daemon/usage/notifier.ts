import { alertEventSchema, describeAlert, notifierCommand, notifierEnv } from '../../protocol/alerts.js'
import type { DaemonEvent } from '../../protocol/events.js'
import type { Logger } from '../deps.js'

/** How a notifier is started; tests pass a fake. Resolves false when the command is not there. */
export type NotifySpawn = (command: string, args: string[]) => Promise<boolean>

export function nodeNotifySpawn(env: Record<string, string | undefined>): NotifySpawn {
  const childEnv = notifierEnv(env)
  return async (command, args) => {
    // child_process is loaded by the first notification, not with the daemon.
    const { spawn } = await import('node:child_process')
    return new Promise((resolve) => {
      try {
        const child = spawn(command, args, { stdio: 'ignore', env: childEnv, cwd: '/' })
        child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ENOENT'))
        child.once('spawn', () => resolve(true))
      } catch {
        resolve(false)
      }
    })
  }
}

/**
 * The daemon's own desktop notifications (setting `notify`): one per alert. A missing
 * notifier is said once in the log, then not tried again until the daemon restarts.
 */
export class DesktopNotifier {
  private missing = false

  constructor(
    private readonly deps: { spawn: NotifySpawn; platform: string; logger: Logger; enabled: () => boolean },
  ) {}

  async notify(event: DaemonEvent): Promise<void> {
    if (this.missing || !this.deps.enabled()) return
    const alert = alertEventSchema.safeParse(event)
    if (!alert.success) return
    const { title, text } = describeAlert(alert.data)
    const cmd = notifierCommand(this.deps.platform, title, text)
    if (!cmd) {
      this.missing = true
      this.deps.logger.warn(`notify is on, but there is no desktop notifier for ${this.deps.platform}`)
      return
    }
    if (!(await this.deps.spawn(cmd.command, cmd.args))) {
      this.missing = true
      this.deps.logger.warn(`notify is on, but ${cmd.command} is not installed; alerts go to subscribers only`)
    }
  }
}
