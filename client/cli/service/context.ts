import * as paths from '../../../protocol/paths.js'
import type { CommandRunner } from '../../run-command.js'
import { launchdPlistPath, serviceTarget, systemdUnitDir, type ServiceTarget } from '../../service-manager.js'
import { launchdPlist } from './launchd-plist.js'
import { resolveLayout, type ServiceLayout } from './layout.js'
import { systemdFiles } from './systemd-units.js'

/** Everything the service commands touch from outside, passed in so tests can fake the manager. */
export interface ServiceEnv extends paths.PathEnv {
  platform: NodeJS.Platform
  uid: number
  run: CommandRunner
  /** The node binary and daemon entry, absolute (the launcher's daemonCommand()). */
  command: { command: string; args: string[] }
}

export interface Planned {
  target: ServiceTarget
  layout: ServiceLayout
  files: { path: string; text: string }[]
  manifestPath: string
}

export class ServiceUnsupportedError extends Error {}

export function manifestPath(env: paths.PathEnv): string {
  return `${paths.stateDir(env)}/service-install.json`
}

/** The files install would write now, for this OS. */
export function plan(env: ServiceEnv, passphraseFile?: string): Planned {
  const target = serviceTarget(env)
  if (!target)
    throw new ServiceUnsupportedError(
      `no supported service manager on ${env.platform} (systemd on Linux, launchd on macOS); run \`opencode-multi-auth daemon start\` instead`,
    )
  const layout = resolveLayout({ env: env.env, home: env.home, command: env.command, passphraseFile })
  const files =
    target.kind === 'systemd'
      ? systemdFiles(systemdUnitDir(env), layout)
      : [{ path: launchdPlistPath(env), text: launchdPlist(layout) }]
  return { target, layout, files, manifestPath: manifestPath(env) }
}
