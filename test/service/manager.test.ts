/**
 * What `daemon start|stop|restart` ask the service manager, recorded by a fake
 * runner; and the version-skew note clients print.
 */
import { describe, expect, it } from 'vitest'
import { skewNote } from '../../client/cli/commands/daemon.js'
import type { CommandRunner } from '../../client/run-command.js'
import {
  managerRestart,
  managerStart,
  managerStop,
  ServiceManagerError,
  serviceTarget,
} from '../../client/service-manager.js'
import { PACKAGE_VERSION } from '../../protocol/version.js'

function recorder(codes: Record<string, number> = {}): { run: CommandRunner; calls: string[] } {
  const calls: string[] = []
  const run: CommandRunner = (command, args) => {
    const line = `${command} ${args.join(' ')}`
    calls.push(line)
    const code = Object.entries(codes).find(([prefix]) => line.startsWith(prefix))?.[1] ?? 0
    return Promise.resolve({ code, stdout: '', stderr: code ? 'nope' : '' })
  }
  return { run, calls }
}

const linux = serviceTarget({ env: {}, home: '/h', platform: 'linux', uid: 501 })
const mac = serviceTarget({ env: {}, home: '/h', platform: 'darwin', uid: 501 })

describe('the service manager commands', () => {
  it('systemd: start the socket; stop socket and service (so the socket cannot revive it); restart both', async () => {
    if (!linux) throw new Error('linux target')
    const r = recorder()
    await managerStart(linux, r.run)
    await managerStop(linux, r.run)
    await managerRestart(linux, r.run)
    expect(r.calls).toEqual([
      'systemctl --user start opencode-multi-auth.socket',
      'systemctl --user stop opencode-multi-auth.socket opencode-multi-auth.service',
      'systemctl --user restart opencode-multi-auth.socket opencode-multi-auth.service',
    ])
    const failing = recorder({ systemctl: 1 })
    await expect(managerStart(linux, failing.run)).rejects.toBeInstanceOf(ServiceManagerError)
  })

  it('launchd: kickstart, or bootstrap when booted out; bootout to stop; kickstart -k to restart', async () => {
    if (!mac) throw new Error('mac target')
    const r = recorder({ 'launchctl kickstart gui/501/opencode-multi-auth': 113 })
    await managerStart(mac, r.run)
    await managerStop(mac, r.run)
    expect(r.calls).toEqual([
      'launchctl kickstart gui/501/opencode-multi-auth',
      'launchctl bootstrap gui/501 /h/Library/LaunchAgents/opencode-multi-auth.plist',
      'launchctl bootout gui/501/opencode-multi-auth',
    ])
    const k = recorder()
    await managerRestart(mac, k.run)
    expect(k.calls).toEqual(['launchctl kickstart -k gui/501/opencode-multi-auth'])
  })

  it('no service manager on other systems', () => {
    expect(serviceTarget({ env: {}, home: '/h', platform: 'win32', uid: 0 })).toBeUndefined()
  })
})

describe('version skew', () => {
  it('is said, with the fix, only when the versions differ', () => {
    expect(skewNote(PACKAGE_VERSION)).toBeUndefined()
    expect(skewNote('0.0.1')).toContain('daemon restart')
    expect(skewNote('0.0.1')).toContain(PACKAGE_VERSION)
  })
})
