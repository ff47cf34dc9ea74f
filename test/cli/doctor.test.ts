/**
 * `doctor`: each line ok/warn/fail with a fix, exit 1 only on a failure.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mintTokens } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type TestDirs } from '../helpers/daemon.js'
import { json, runCli } from './run.js'

interface Report {
  ok: boolean
  checks: { name: string; level: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }[]
}
const all: TestDirs[] = []
afterAll(() => all.forEach(cleanup))
const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwt = (payload: object): string => `${b64({ alg: 'none' })}.${b64(payload)}.sig`
const check = (r: Report, name: string) => r.checks.find((c) => c.name === name)

describe('doctor', () => {
  it('a fresh machine: warnings with fixes, no failure, exit 0', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    // Its own (empty) store folder: with an explicit socket and none, doctor would judge it a remote client.
    mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
    const r = await runCli(['doctor', '--json'], { env: dirs.env, timeoutMs: 30_000 })
    expect(r.code, r.stderr).toBe(0)
    const report = json<Report>(r)
    expect(report.ok).toBe(true)
    expect(check(report, 'socket')).toMatchObject({ level: 'warn' })
    expect(check(report, 'socket')?.fix).toContain('daemon start')
    expect(check(report, 'store')?.fix).toContain('login')
    expect(check(report, 'service')?.fix).toContain('service install')
    expect(check(report, 'proxy')).toMatchObject({ level: 'ok', detail: 'none (direct connections)' })
    const human = await runCli(['doctor'], { env: dirs.env, timeoutMs: 30_000 })
    expect(human.stdout).toMatch(/warn\s+socket/)
    expect(human.stdout).toContain('fix: ')
  }, 60_000)

  it('finds a readable store, keyring-mode Codex, a clock behind the issuer and a skew-free daemon', async () => {
    const dirs = makeDirs({ HTTPS_PROXY: 'http://user:hunter2@proxy.example:3128' })
    all.push(dirs)
    mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
    const tokens = {
      ...mintTokens({ email: 'd@example.com', accountId: 'da', userId: 'du' }),
      refreshToken: 'rt_d_0123456789abcdef',
    }
    expect((await runCli(['add-tokens'], { env: dirs.env, input: JSON.stringify(tokens) })).code).toBe(0)
    chmodSync(dirs.storeFile, 0o644)
    mkdirSync(dirname(dirs.codexAuthFile), { recursive: true })
    writeFileSync(join(dirname(dirs.codexAuthFile), 'config.toml'), 'cli_auth_credentials_store = "keyring"\n')
    const future = Math.floor(Date.now() / 1000) + 3 * 3600
    writeFileSync(
      dirs.codexAuthFile,
      JSON.stringify({
        tokens: { access_token: jwt({ iat: future }), refresh_token: 'rt_x', id_token: jwt({ iat: future }) },
      }),
    )
    const d = await startDaemon(dirs)
    try {
      const r = await runCli(['doctor', '--json'], { env: dirs.env, timeoutMs: 30_000 })
      expect(r.code).toBe(1)
      const report = json<Report>(r)
      expect(report.ok).toBe(false)
      expect(check(report, 'socket')?.level).toBe('ok')
      expect(check(report, 'version')).toMatchObject({ level: 'ok' })
      expect(check(report, 'store')).toMatchObject({ level: 'fail', fix: `chmod 600 ${dirs.storeFile}` })
      expect(check(report, 'codex credentials')?.level).toBe('warn')
      expect(check(report, 'codex credentials')?.detail).toContain('keyring')
      expect(check(report, 'codex auth.json')?.level).toBe('ok')
      expect(check(report, 'clock')?.level).toBe('fail')
      expect(check(report, 'clock')?.detail).toMatch(/180 min in the future/)
      expect(check(report, 'proxy')?.detail).toContain('proxy.example:3128')
      expect(r.stdout).not.toContain('hunter2')
    } finally {
      await d.stop()
    }
  }, 90_000)
})
