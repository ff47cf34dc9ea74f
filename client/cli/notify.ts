import { spawn } from 'node:child_process'

/** Starts a desktop notifier; resolves false when the command is not installed. */
export type NotifySpawn = (command: string, args: string[]) => Promise<boolean>

/** The notifier needs the desktop session's variables, and nothing else from our environment. */
const SESSION_VARS = [
  'PATH',
  'HOME',
  'LANG',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'DBUS_SESSION_BUS_ADDRESS',
  'XDG_RUNTIME_DIR',
]

export function nodeNotifySpawn(env: NodeJS.ProcessEnv): NotifySpawn {
  const childEnv: Record<string, string> = {}
  for (const k of SESSION_VARS) if (env[k] !== undefined) childEnv[k] = env[k]
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
