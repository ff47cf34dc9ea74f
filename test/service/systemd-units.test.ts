/**
 * The systemd units as `service install` writes them: lint-clean under
 * `systemd-analyze --user verify` (any output fails the test), hardened to an
 * exposure of 4.0 or lower by systemd's own rating, and socket-activated on
 * the path the clients use.
 */
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { plan } from '../../client/cli/service/context.js'
import { exposureScore, verifyUnits } from '../../client/cli/service/security.js'
import { UnitPathError } from '../../client/cli/service/systemd-units.js'
import { writeIfChanged } from '../../client/cli/service/unit-files.js'
import { fakeRunner, HAS_SYSTEMD_ANALYZE, realRunner, sandbox, serviceEnv, type Sandbox } from './support.js'

const boxes: Sandbox[] = []
afterAll(() => boxes.forEach((b) => b.cleanup()))

async function written(extra: Record<string, string> = {}, passphraseFile?: string) {
  const box = sandbox(extra)
  boxes.push(box)
  const p = plan(serviceEnv(box, fakeRunner(box.env).run), passphraseFile)
  for (const f of p.files) await writeIfChanged(f.path, f.text)
  const [service, socket] = p.files.map((f) => f.path)
  return { box, p, service: service ?? '', socket: socket ?? '' }
}

describe('the generated systemd units', () => {
  it('listen on %t/opencode-multi-auth/daemon.sock, 0600 in a 0700 directory, and start at login', async () => {
    const { service, socket } = await written()
    const sock = readFileSync(socket, 'utf8')
    expect(sock).toContain('ListenStream=%t/opencode-multi-auth/daemon.sock\n')
    expect(sock).toContain('SocketMode=0600\n')
    expect(sock).toContain('DirectoryMode=0700\n')
    expect(sock).toContain('WantedBy=sockets.target')
    const svc = readFileSync(service, 'utf8')
    expect(svc).toContain('WantedBy=default.target')
    expect(svc).toContain('Environment=OPENCODE_MULTI_AUTH_SOCKET=%t/opencode-multi-auth/daemon.sock\n')
  })

  it('are hardened the way Node allows, with absolute paths and the writable directories exactly', async () => {
    const { box, service } = await written()
    const svc = readFileSync(service, 'utf8')
    for (const line of [
      'UMask=0077',
      'NoNewPrivileges=yes',
      'LimitCORE=0',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      'Restart=on-failure',
    ])
      expect(svc).toContain(`\n${line}\n`)
    expect(svc).not.toMatch(/MemoryDenyWriteExecute/)
    const exec = /^ExecStart=(.*)$/m.exec(svc)?.[1] ?? ''
    expect(exec.startsWith(`${process.execPath} `)).toBe(true)
    expect(exec).not.toContain('/usr/bin/env')
    const rw = [...svc.matchAll(/^ReadWritePaths=(.*)$/gm)].map((m) => m[1])
    expect(rw.sort()).toEqual(
      [
        `${box.home}/.config/opencode-multi-auth`,
        `${box.home}/.local/state/opencode-multi-auth`,
        `${box.home}/.codex`,
        '%t/opencode-multi-auth',
      ].sort(),
    )
    // No secret is ever written into a unit.
    expect(svc).not.toMatch(/PASSPHRASE/)
  })

  it('refuse a socket path with blanks (ListenStream= cannot quote it)', async () => {
    await expect(written({ OPENCODE_MULTI_AUTH_SOCKET: '/tmp/with space/d.sock' })).rejects.toThrow(UnitPathError)
  })

  it('quote a passphrase file with blanks, and escape % and $', async () => {
    const { service, socket } = await written(
      { OPENCODE_MULTI_AUTH_SOCKET: '/tmp/oma-100%/d.sock', CODEX_HOME: '/tmp/100%$x' },
      '/tmp/pass file',
    )
    expect(readFileSync(socket, 'utf8')).toContain('ListenStream=/tmp/oma-100%%/d.sock\n')
    const svc = readFileSync(service, 'utf8')
    expect(svc).toContain('--passphrase-file "/tmp/pass file"')
    expect(svc).toContain('ReadWritePaths=/tmp/100%%$$x\n')
    expect(svc).toContain('Environment="CODEX_HOME=/tmp/100%%$x"\n')
  })

  it.skipIf(!HAS_SYSTEMD_ANALYZE)('pass systemd-analyze --user verify without a single warning', async () => {
    const variants: Record<string, string>[] = [
      {},
      { OPENCODE_MULTI_AUTH_SOCKET: '/tmp/oma-verify/d.sock', CODEX_HOME: '/tmp/codex 100%' },
    ]
    for (const extra of variants) {
      const { box, service, socket } = await written(extra, '/tmp/pass file')
      const result = await verifyUnits(realRunner(box.env), [service, socket])
      expect(result, 'systemd-analyze is installed').toBeDefined()
      expect(result?.problems).toEqual([])
      expect(result?.ok).toBe(true)
    }
  })

  it.skipIf(!HAS_SYSTEMD_ANALYZE)('rate an exposure of 4.0 or lower under systemd-analyze security', async () => {
    const { box, service } = await written()
    const score = await exposureScore(realRunner(box.env), service)
    console.log(`systemd-analyze security --offline=true exposure: ${score}`)
    expect(score).toBeTypeOf('number')
    expect(score).toBeLessThanOrEqual(4.0)
  })
})
