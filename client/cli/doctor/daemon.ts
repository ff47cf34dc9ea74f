import { PROTOCOL_VERSION, PACKAGE_VERSION } from '../../../protocol/version.js'
import type { DaemonStatus } from '../../../protocol/methods.js'
import { probeDaemon, usesRemoteDaemon } from '../../launcher.js'
import { fail, ok, warn, type Check } from './check.js'
import type { ServiceStatus } from '../service/status.js'

export async function socketChecks(
  socketPath: string,
  env: Record<string, string | undefined>,
  home: string,
): Promise<{ checks: Check[]; status?: DaemonStatus }> {
  let status: DaemonStatus | undefined
  try {
    status = await probeDaemon(socketPath)
  } catch (err) {
    return {
      checks: [
        fail(
          'socket',
          `${socketPath} accepts connections but does not answer: ${err instanceof Error ? err.message : String(err)}`,
          '`opencode-multi-auth daemon restart`',
        ),
      ],
    }
  }
  if (!status) {
    const remote = usesRemoteDaemon(env, home)
    return {
      checks: [
        remote
          ? fail(
              'socket',
              `nothing answers at ${socketPath} (a forwarded socket: this machine has no store)`,
              'reconnect the ssh forward (see docs/operations.md, "Remote machines")',
            )
          : warn(
              'socket',
              `no daemon answers at ${socketPath}`,
              '`opencode-multi-auth daemon start` (or `service install`)',
            ),
      ],
    }
  }
  const checks = [ok('socket', `${socketPath} answers (daemon pid ${status.pid})`)]
  if (status.protocolVersion !== PROTOCOL_VERSION)
    checks.push(
      fail(
        'version',
        `daemon protocol ${status.protocolVersion}, CLI protocol ${PROTOCOL_VERSION}`,
        '`opencode-multi-auth daemon restart`',
      ),
    )
  else if (status.version !== PACKAGE_VERSION)
    checks.push(
      warn(
        'version',
        `daemon ${status.version}, CLI ${PACKAGE_VERSION}`,
        '`opencode-multi-auth daemon restart` so both come from the same install',
      ),
    )
  else checks.push(ok('version', `daemon and CLI are both ${PACKAGE_VERSION}`))
  return { checks, status }
}

export function serviceCheck(s: ServiceStatus | undefined, unsupported?: string): Check {
  if (!s)
    return warn(
      'service',
      unsupported ?? 'no service manager here',
      '`opencode-multi-auth daemon start` runs it without one',
    )
  if (!s.installed)
    return warn(
      'service',
      `not installed (${s.manager})`,
      '`opencode-multi-auth service install` starts it at login and restarts it on failure',
    )
  const stale = s.files.filter((f) => !f.current).map((f) => f.path)
  if (stale.length)
    return warn(
      'service',
      `installed, but ${stale.join(', ')} differ from what install writes now`,
      're-run `opencode-multi-auth service install`',
    )
  if (s.managerError)
    return warn(
      'service',
      `installed; ${s.manager} cannot be asked: ${s.managerError}`,
      'log in with a user session (or `loginctl enable-linger $USER`)',
    )
  if (!s.enabled)
    return warn('service', `installed (${s.manager}) but not enabled`, '`opencode-multi-auth service install`')
  if (!s.active)
    return warn('service', `installed and enabled (${s.manager}) but not active`, '`opencode-multi-auth daemon start`')
  const score = s.exposure === undefined ? '' : `, exposure ${s.exposure}`
  return ok('service', `installed, enabled and active (${s.manager}${score})`)
}
