import type { spawn as nodeSpawn } from 'node:child_process'

export interface CommandResult {
  /** 127 when the command is missing, like a shell says it. */
  code: number
  stdout: string
  stderr: string
}

/** Runs a service-manager command (systemctl, launchctl, systemd-analyze); tests pass a fake that records calls. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>

const MAX_OUTPUT = 256 * 1024

/** A runner over the given spawn, with a neutral cwd and the caller's environment minus nothing it needs. */
export function spawnRunner(spawn: typeof nodeSpawn, env: NodeJS.ProcessEnv, cwd: string): CommandRunner {
  return (command, args) =>
    new Promise((resolve) => {
      let stdout = ''
      let stderr = ''
      const child = spawn(command, [...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < MAX_OUTPUT) stdout += d
      })
      child.stderr?.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < MAX_OUTPUT) stderr += d
      })
      child.once('error', (err: NodeJS.ErrnoException) =>
        resolve({ code: err.code === 'ENOENT' ? 127 : 126, stdout, stderr: `${command}: ${err.message}` }),
      )
      child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    })
}
