import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { daemonCommand } from '../../client/launcher.js'
import { spawnRunner, type CommandResult, type CommandRunner } from '../../client/run-command.js'
import type { ServiceEnv } from '../../client/cli/service/context.js'

export const HAS_SYSTEMD_ANALYZE = existsSync('/usr/bin/systemd-analyze')

export interface Sandbox {
  root: string
  home: string
  env: Record<string, string>
  cleanup(): void
}

/** A private HOME, XDG tree and runtime dir (systemd-analyze --user needs XDG_RUNTIME_DIR). */
export function sandbox(extra: Record<string, string> = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'oma-svc-'))
  const home = join(root, 'home')
  const runtime = join(root, 'run')
  mkdirSync(home, { recursive: true })
  mkdirSync(runtime, { mode: 0o700 })
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_RUNTIME_DIR: runtime,
    CODEX_HOME: join(home, '.codex'),
    NO_COLOR: '1',
    ...extra,
  }
  return { root, home, env, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export interface Call {
  command: string
  args: string[]
}

/**
 * A service manager that records what it is asked and says yes (or what
 * `answer` says); systemd-analyze, which needs no running manager, is the real one.
 */
export function fakeRunner(
  env: Record<string, string>,
  answer: (c: Call) => CommandResult | undefined = () => undefined,
): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = []
  const real = spawnRunner(spawn, env, env.HOME ?? '/')
  const run: CommandRunner = async (command, args) => {
    if (command === 'systemd-analyze') return real(command, args)
    const call = { command, args: [...args] }
    calls.push(call)
    return answer(call) ?? { code: 0, stdout: '', stderr: '' }
  }
  return { run, calls }
}

export function serviceEnv(box: Sandbox, run: CommandRunner, platform: NodeJS.Platform = 'linux'): ServiceEnv {
  return { env: box.env, home: box.home, platform, uid: 1234, run, command: daemonCommand() }
}

export const realRunner = (env: Record<string, string>): CommandRunner => spawnRunner(spawn, env, env.HOME ?? '/')
