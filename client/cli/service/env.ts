import { spawn } from 'node:child_process'
import { homedir } from 'node:os'
import { childEnv } from '../../../protocol/child-env.js'
import { daemonCommand } from '../../launcher.js'
import { spawnRunner } from '../../run-command.js'
import type { ServiceEnv } from './context.js'

/** The real machine: this OS, this user, systemctl/launchctl run with a minimal environment from $HOME. */
export function machineServiceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  const home = env.HOME || homedir()
  return {
    env,
    home,
    platform: process.platform,
    uid: process.getuid?.() ?? 0,
    run: spawnRunner(spawn, childEnv(env), home),
    command: daemonCommand(),
  }
}
