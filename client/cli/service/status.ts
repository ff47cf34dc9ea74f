import { existsSync } from 'node:fs'
import { LAUNCHD_LABEL, SERVICE_UNIT, SOCKET_UNIT } from '../../service-manager.js'
import { plan, type ServiceEnv } from './context.js'
import { exposureScore } from './security.js'
import { isCurrent } from './unit-files.js'

export interface ServiceStatus {
  manager: 'systemd' | 'launchd'
  installed: boolean
  files: { path: string; present: boolean; current: boolean }[]
  /** undefined: the manager could not be asked (no user bus, no launchctl). */
  enabled?: boolean
  active?: boolean
  /** systemd-analyze security's exposure level of the installed service (systemd only). */
  exposure?: number
  managerError?: string
}

export async function serviceStatus(env: ServiceEnv): Promise<ServiceStatus> {
  const p = plan(env)
  const files = await Promise.all(
    p.files.map(async (f) => ({ path: f.path, present: existsSync(f.path), current: await isCurrent(f.path, f.text) })),
  )
  const status: ServiceStatus = { manager: p.target.kind, installed: files.every((f) => f.present), files }
  if (!status.installed) return status
  if (p.target.kind === 'systemd') {
    const enabled = await env.run('systemctl', ['--user', 'is-enabled', SOCKET_UNIT])
    const active = await env.run('systemctl', ['--user', 'is-active', SOCKET_UNIT, SERVICE_UNIT])
    const said = (enabled.stdout + active.stdout).trim()
    if (said) {
      status.enabled = enabled.stdout.trim() === 'enabled'
      status.active = active.stdout.split('\n').some((l) => l.trim() === 'active')
    } else status.managerError = (enabled.stderr || active.stderr).trim() || 'systemctl --user did not answer'
    const service = p.files[0]?.path
    if (service) status.exposure = await exposureScore(env.run, service)
  } else {
    const r = await env.run('launchctl', ['print', `gui/${env.uid}/${LAUNCHD_LABEL}`])
    status.enabled = r.code === 0
    status.active = r.code === 0 && /\bstate = running\b/.test(r.stdout)
  }
  return status
}
