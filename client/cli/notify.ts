import { spawn } from 'node:child_process'
import { notifierEnv } from '../../protocol/alerts.js'

/** Starts a desktop notifier; resolves false when the command is not installed. */
export type NotifySpawn = (command: string, args: string[]) => Promise<boolean>

export function nodeNotifySpawn(env: NodeJS.ProcessEnv): NotifySpawn {
  const childEnv = notifierEnv(env)
  return (command, args) =>
    new Promise((resolve) => {
      try {
        const child = spawn(command, args, { stdio: 'ignore', env: childEnv, cwd: '/' })
        child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ENOENT'))
        child.once('spawn', () => resolve(true))
      } catch {
        resolve(false)
      }
    })
}
