import { existsSync } from 'node:fs'
import type { PathEnv } from '../protocol/paths.js'
import type { CommandRunner } from './run-command.js'

export const UNIT = 'opencode-multi-auth'
export const SOCKET_UNIT = `${UNIT}.socket`
export const SERVICE_UNIT = `${UNIT}.service`
/** launchd's job label (and the plist's file name). */
export const LAUNCHD_LABEL = 'opencode-multi-auth'

export type ManagerKind = 'systemd' | 'launchd'

export interface ServiceTarget {
  kind: ManagerKind
  /** The files install writes for this manager, in the order they are written. */
  files: string[]
  uid: number
}

export interface TargetInput extends PathEnv {
  platform: NodeJS.Platform
  uid: number
}

export function systemdUnitDir({ env, home }: PathEnv): string {
  const base = env.XDG_CONFIG_HOME?.trim() || `${home}/.config`
  return `${base}/systemd/user`
}

export function launchdPlistPath({ home }: PathEnv): string {
  return `${home}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`
}

/** Which service manager this OS has, and where our units live under it; undefined where we support none. */
export function serviceTarget(input: TargetInput): ServiceTarget | undefined {
  if (input.platform === 'linux') {
    const dir = systemdUnitDir(input)
    return { kind: 'systemd', files: [`${dir}/${SERVICE_UNIT}`, `${dir}/${SOCKET_UNIT}`], uid: input.uid }
  }
  if (input.platform === 'darwin') return { kind: 'launchd', files: [launchdPlistPath(input)], uid: input.uid }
  return undefined
}

/** The service is installed when every file install writes is there. */
export function installedTarget(input: TargetInput): ServiceTarget | undefined {
  const target = serviceTarget(input)
  return target && target.files.every((f) => existsSync(f)) ? target : undefined
}

export class ServiceManagerError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(detail ? `${message}: ${detail}` : message)
    this.name = 'ServiceManagerError'
  }
}

async function must(run: CommandRunner, what: string, command: string, args: string[]): Promise<void> {
  const r = await run(command, args)
  if (r.code !== 0) throw new ServiceManagerError(what, (r.stderr || r.stdout).trim().split('\n')[0] ?? '')
}

function domain(t: ServiceTarget): string {
  return `gui/${t.uid}`
}

/** Asks the service manager to start the daemon (the socket, under systemd: the daemon starts on the first connection). */
export async function managerStart(t: ServiceTarget, run: CommandRunner): Promise<void> {
  if (t.kind === 'systemd')
    return must(run, `systemctl --user start ${SOCKET_UNIT} failed`, 'systemctl', ['--user', 'start', SOCKET_UNIT])
  const plist = t.files[0] ?? ''
  const kick = await run('launchctl', ['kickstart', `${domain(t)}/${LAUNCHD_LABEL}`])
  if (kick.code === 0) return
  // Not loaded (booted out by `daemon stop`): load it; RunAtLoad starts it.
  await must(run, 'launchctl bootstrap failed', 'launchctl', ['bootstrap', domain(t), plist])
}

/** Stops the daemon through its manager, so it is not restarted at once (nor re-activated by the socket). */
export async function managerStop(t: ServiceTarget, run: CommandRunner): Promise<void> {
  if (t.kind === 'systemd')
    return must(run, 'systemctl --user stop failed', 'systemctl', ['--user', 'stop', SOCKET_UNIT, SERVICE_UNIT])
  const r = await run('launchctl', ['bootout', `${domain(t)}/${LAUNCHD_LABEL}`])
  // 3 / 113: not loaded, which is stopped already.
  if (r.code !== 0 && r.code !== 3 && r.code !== 113)
    throw new ServiceManagerError('launchctl bootout failed', r.stderr.trim())
}

export async function managerRestart(t: ServiceTarget, run: CommandRunner): Promise<void> {
  if (t.kind === 'systemd') {
    await must(run, 'systemctl --user restart failed', 'systemctl', ['--user', 'restart', SOCKET_UNIT, SERVICE_UNIT])
    return
  }
  const kick = await run('launchctl', ['kickstart', '-k', `${domain(t)}/${LAUNCHD_LABEL}`])
  if (kick.code !== 0) await managerStart(t, run)
}
