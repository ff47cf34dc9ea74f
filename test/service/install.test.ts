/**
 * `service install` / `uninstall` against a fake service manager that records
 * every call (the success path), and against this machine's real systemctl,
 * which has no user bus here (the failure path: a clear message, the units
 * written anyway, exit 1).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'plist'
import { afterAll, describe, expect, it } from 'vitest'
import { installService, ManagerUnavailableError } from '../../client/cli/service/install.js'
import { serviceStatus } from '../../client/cli/service/status.js'
import { uninstallService } from '../../client/cli/service/uninstall.js'
import { json, runCli } from '../cli/run.js'
import { fakeRunner, HAS_SYSTEMD_ANALYZE, sandbox, serviceEnv, type Sandbox } from './support.js'

const boxes: Sandbox[] = []
function box(extra: Record<string, string> = {}): Sandbox {
  const b = sandbox(extra)
  boxes.push(b)
  return b
}
afterAll(() => boxes.forEach((b) => b.cleanup()))

const unitDir = (b: Sandbox): string => `${b.home}/.config/systemd/user`

describe('service install on systemd (fake manager)', () => {
  it('writes both units, reloads, enables the socket now and the service at login, and starts it', async () => {
    const b = box()
    const { run, calls } = fakeRunner(b.env)
    let stopped = 0
    const result = await installService(serviceEnv(b, run), {
      stopUnmanaged: () => Promise.resolve(Boolean(++stopped)),
    })
    expect(result.started).toBe(true)
    expect(result.files.map((f) => [f.path, f.action])).toEqual([
      [`${unitDir(b)}/opencode-multi-auth.service`, 'created'],
      [`${unitDir(b)}/opencode-multi-auth.socket`, 'created'],
    ])
    expect(calls.map((c) => `${c.command} ${c.args.join(' ')}`)).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now opencode-multi-auth.socket',
      'systemctl --user enable opencode-multi-auth.service',
      'systemctl --user restart opencode-multi-auth.service',
    ])
    expect(stopped).toBe(1)
    // ProtectSystem=strict needs the writable directories to exist before the service starts.
    for (const dir of ['.config/opencode-multi-auth', '.local/state/opencode-multi-auth', '.codex'])
      expect(existsSync(`${b.home}/${dir}`)).toBe(true)
  })

  it('is idempotent, and shows a diff when a re-install changes a unit', async () => {
    const b = box()
    const { run, calls } = fakeRunner(b.env)
    await installService(serviceEnv(b, run))
    calls.length = 0
    const again = await installService(serviceEnv(b, run))
    expect(again.files.every((f) => f.action === 'unchanged')).toBe(true)
    // Nothing changed: start (a no-op when it runs), not restart.
    expect(calls.at(-1)?.args).toEqual(['--user', 'start', 'opencode-multi-auth.service'])
    const pass = `${b.root}/pass`
    writeFileSync(pass, 'secret\n', { mode: 0o600 })
    const changed = await installService(serviceEnv(b, run), { passphraseFile: pass, noStart: true })
    const service = changed.files.find((f) => f.path.endsWith('.service'))
    expect(service?.action).toBe('changed')
    expect(service?.diff?.some((l) => l.startsWith('+ ExecStart=') && l.includes(`--passphrase-file ${pass}`))).toBe(
      true,
    )
    expect(service?.diff?.some((l) => l.startsWith('- ExecStart='))).toBe(true)
    expect(changed.files.find((f) => f.path.endsWith('.socket'))?.action).toBe('unchanged')
    expect(readFileSync(service?.path ?? '', 'utf8')).not.toContain('secret')
  })

  it('uninstall stops, disables and removes exactly what install wrote', async () => {
    const b = box()
    const { run, calls } = fakeRunner(b.env)
    const installed = await installService(serviceEnv(b, run), {
      completions: ['bash'],
      completionScript: () => '#x\n',
    })
    const foreign = `${unitDir(b)}/someone-else.service`
    writeFileSync(foreign, '[Service]\n')
    calls.length = 0
    const result = await uninstallService(serviceEnv(b, run))
    expect(result.removed.sort()).toEqual(installed.files.map((f) => f.path).sort())
    expect(result.removed.some((f) => f.includes('bash-completion'))).toBe(true)
    for (const f of installed.files) expect(existsSync(f.path)).toBe(false)
    expect(existsSync(foreign)).toBe(true)
    expect(calls.map((c) => c.args.join(' '))).toEqual([
      '--user disable --now opencode-multi-auth.socket opencode-multi-auth.service',
      '--user daemon-reload',
    ])
  })

  it('with no user bus: the units are written, the error says what to do', async () => {
    const b = box()
    const { run } = fakeRunner(b.env, (c) =>
      c.command === 'systemctl'
        ? { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found' }
        : undefined,
    )
    const err = await installService(serviceEnv(b, run)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ManagerUnavailableError)
    expect((err as Error).message).toContain('Failed to connect to bus')
    expect(existsSync(`${unitDir(b)}/opencode-multi-auth.socket`)).toBe(true)
  })
})

describe('service install on macOS (fake launchctl)', () => {
  it('writes a LaunchAgent that parses back key by key, and bootstraps it in gui/<uid>', async () => {
    const b = box({ HTTPS_PROXY: 'http://proxy.example:3128', OPENCODE_MULTI_AUTH_PASSPHRASE: 'never-in-a-plist' })
    const { run, calls } = fakeRunner(b.env, (c) =>
      c.args[0] === 'print' ? { code: 113, stdout: '', stderr: 'Could not find service' } : undefined,
    )
    const result = await installService(serviceEnv(b, run, 'darwin'))
    const path = `${b.home}/Library/LaunchAgents/opencode-multi-auth.plist`
    expect(result.files[0]?.path).toBe(path)
    const text = readFileSync(path, 'utf8')
    expect(text).not.toContain('never-in-a-plist')
    const p = parse(text) as Record<string, unknown>
    expect(p.Label).toBe('opencode-multi-auth')
    expect(p.RunAtLoad).toBe(true)
    expect(p.KeepAlive).toEqual({ SuccessfulExit: false })
    const args = p.ProgramArguments as string[]
    expect(args[0]).toBe(process.execPath)
    expect(args.every((a) => !a.includes('/usr/bin/env'))).toBe(true)
    expect(args.at(-1)?.startsWith('/')).toBe(true)
    expect(p.WorkingDirectory).toBe(b.home)
    expect(p.StandardOutPath).toBe(`${b.home}/Library/Logs/opencode-multi-auth/daemon.out.log`)
    expect(p.StandardErrorPath).toBe(`${b.home}/Library/Logs/opencode-multi-auth/daemon.err.log`)
    expect(p.Umask).toBe(63)
    expect(p.EnvironmentVariables).toEqual({
      HOME: b.home,
      HTTPS_PROXY: 'http://proxy.example:3128',
      CODEX_HOME: b.env.CODEX_HOME,
      XDG_CONFIG_HOME: b.env.XDG_CONFIG_HOME,
      XDG_STATE_HOME: b.env.XDG_STATE_HOME,
    })
    expect(existsSync(`${b.home}/Library/Logs/opencode-multi-auth`)).toBe(true)
    expect(calls.map((c) => `${c.command} ${c.args.join(' ')}`)).toEqual([
      'launchctl bootout gui/1234/opencode-multi-auth',
      'launchctl print gui/1234/opencode-multi-auth',
      `launchctl bootstrap gui/1234 ${path}`,
      'launchctl enable gui/1234/opencode-multi-auth',
    ])
    calls.length = 0
    const removed = await uninstallService(serviceEnv(b, run, 'darwin'))
    expect(removed.removed).toEqual([path])
    expect(calls.map((c) => c.args.join(' '))).toEqual(['bootout gui/1234/opencode-multi-auth'])
  })
})

describe('the real CLI on this machine (no systemd user manager running)', () => {
  it.skipIf(process.platform !== 'linux')(
    'service install: exit 1 with a clear message, the unit files still written; status shows the exposure',
    async () => {
      const b = box()
      const r = await runCli(['service', 'install'], { env: b.env, timeoutMs: 30_000 })
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toMatch(/unit files are written, but the service manager could not be reached/)
      expect(r.stderr).toContain('loginctl enable-linger')
      expect(r.stdout).toContain(`created   ${unitDir(b)}/opencode-multi-auth.service`)
      expect(existsSync(`${unitDir(b)}/opencode-multi-auth.service`)).toBe(true)
      expect(existsSync(`${unitDir(b)}/opencode-multi-auth.socket`)).toBe(true)
      const s = await runCli(['service', 'status', '--json'], { env: b.env, timeoutMs: 30_000 })
      expect(s.code, s.stderr).toBe(0)
      const status = json<Awaited<ReturnType<typeof serviceStatus>>>(s)
      expect(status.installed).toBe(true)
      expect(status.files.every((f) => f.current)).toBe(true)
      if (HAS_SYSTEMD_ANALYZE) {
        console.log(`service status --json exposure: ${status.exposure}`)
        expect(status.exposure).toBeLessThanOrEqual(4.0)
      }
    },
    60_000,
  )
})
