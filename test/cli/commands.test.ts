/**
 * The CLI as a child process against one spawned daemon: every command's
 * --json output checked against what the daemon says over RPC, tokens piped
 * in on stdin in both accepted shapes, exit codes, and colour rules.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RpcClient } from '../../client/rpc/client.js'
import { RpcError } from '../../protocol/errors.js'
import type { DaemonStatus } from '../../protocol/methods.js'
import type { AccountView } from '../../protocol/schemas.js'
import { mintTokens } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { cliArgv, json, killStrayClis, runCli, type CliResult } from './run.js'

const ESC = '\u001b['

let dirs: TestDirs
let daemon: SpawnedDaemon
let client: RpcClient
const secrets: string[] = []

const cli = (args: string[], input?: string): Promise<CliResult> => runCli(args, { env: dirs.env, input })

function expectClean(r: CliResult): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s)
    expect(r.stderr).not.toContain(s)
  }
  expect(r.stdout + r.stderr).not.toContain(ESC)
}

function minted(
  email: string,
  accountId: string,
  userId: string,
): { accessToken: string; idToken: string; refreshToken: string } {
  const t = mintTokens({ email, accountId, userId, planType: 'plus' })
  const refreshToken = `rt_${userId}_cli_refresh_0123456789`
  secrets.push(t.accessToken, t.idToken, refreshToken)
  return { ...t, refreshToken }
}

beforeAll(async () => {
  dirs = makeDirs()
  // A strategy other than the default, so a hard-coded one in the CLI would show.
  mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
  writeFileSync(
    dirs.storeFile,
    JSON.stringify({
      version: 2,
      accounts: {},
      activeAlias: null,
      rotationIndex: 0,
      lastRotation: 0,
      settings: { rotationStrategy: 'least-used' },
    }),
    { mode: 0o600 },
  )
  daemon = await startDaemon(dirs)
  client = await daemon.connect()
})

afterAll(async () => {
  killStrayClis()
  client?.close()
  await daemon?.stop()
  if (dirs) cleanup(dirs)
})

describe('CLI against a running daemon', () => {
  it('add-tokens reads {accessToken, refreshToken, idToken} from stdin', async () => {
    const t = minted('carol@example.com', 'acc-carol', 'user-carol')
    const r = await cli(['add-tokens', '--json'], JSON.stringify(t))
    expect(r.code, r.stderr).toBe(0)
    const view = json<AccountView>(r)
    expect(view).toMatchObject({
      alias: 'carol',
      email: 'carol@example.com',
      accountId: 'acc-carol',
      userId: 'user-carol',
      enabled: true,
    })
    expect(await client.call('accounts.get', { alias: 'carol' })).toMatchObject({ email: 'carol@example.com' })
    expectClean(r)
    // Human output says what happened.
    const again = await cli(['add-tokens'], JSON.stringify(minted('carol@example.com', 'acc-carol', 'user-carol')))
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('carol')
    expectClean(again)
    expect((await client.call('accounts.list', {})).accounts).toHaveLength(1)
  })

  it('add-tokens [alias] accepts a Codex auth.json as is', async () => {
    const t = minted('dave@example.com', 'acc-dave', 'user-dave')
    const authJson = {
      OPENAI_API_KEY: null,
      auth_mode: 'chatgpt',
      tokens: {
        id_token: t.idToken,
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        account_id: 'acc-dave',
      },
      last_refresh: new Date().toISOString(),
    }
    const r = await cli(['add-tokens', 'work', '--json'], JSON.stringify(authJson))
    expect(r.code, r.stderr).toBe(0)
    expect(json<AccountView>(r)).toMatchObject({
      alias: 'work',
      email: 'dave@example.com',
      accountId: 'acc-dave',
      userId: 'user-dave',
      hasIdToken: true,
    })
    expect((await client.call('accounts.get', { alias: 'work' })).email).toBe('dave@example.com')
    expectClean(r)
  })

  it('status --json reports the strategy the daemon reports, and the accounts', async () => {
    const daemonSays = await client.call('daemon.status', {})
    expect(daemonSays.strategy).toBe('least-used')
    const [r, human] = await Promise.all([cli(['status', '--json']), cli(['status'])])
    expect(r.code, r.stderr).toBe(0)
    const out = json<{ strategy: string; daemon: DaemonStatus; accounts: AccountView[]; force: unknown }>(r)
    expect(out.strategy).toBe(daemonSays.strategy)
    expect(out.daemon.pid).toBe(daemon.proc.pid)
    expect(out.force).toEqual(daemonSays.force)
    expect(out.accounts.map((a) => a.alias).sort()).toEqual(['carol', 'work'])
    expectClean(r)
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('Strategy: least-used')
    expect(human.stdout).toContain('carol')
    expectClean(human)
  })

  it('list --json matches accounts.list, and the table shows every alias', async () => {
    const { accounts } = await client.call('accounts.list', {})
    const [r, human] = await Promise.all([cli(['list', '--json']), cli(['list'])])
    expect(r.code, r.stderr).toBe(0)
    expect(json<{ accounts: AccountView[] }>(r).accounts.map((a) => [a.alias, a.email])).toEqual(
      accounts.map((a) => [a.alias, a.email]),
    )
    expectClean(r)
    expect(human.code).toBe(0)
    for (const a of accounts) expect(human.stdout).toContain(a.alias)
    expectClean(human)
  })

  it('disable and enable, with exit 1 and CONFLICT when disabling the last enabled account', async () => {
    const off = await cli(['disable', 'carol', '--json'])
    expect(off.code, off.stderr).toBe(0)
    expect(json<AccountView>(off)).toMatchObject({ alias: 'carol', enabled: false })
    expect((await client.call('accounts.get', { alias: 'carol' })).enabled).toBe(false)

    const [refused, refusedHuman] = await Promise.all([cli(['disable', 'work', '--json']), cli(['disable', 'work'])])
    expect(refused.code).toBe(1)
    expect(json<{ error: { code: number; name: string } }>(refused).error).toMatchObject({
      code: -32007,
      name: 'CONFLICT',
    })
    expect(refusedHuman.code).toBe(1)
    expect(refusedHuman.stderr).toMatch(/last enabled/)
    expect((await client.call('accounts.get', { alias: 'work' })).enabled).toBe(true)

    const on = await cli(['enable', 'carol'])
    expect(on.code, on.stderr).toBe(0)
    expect(on.stdout).toContain('enabled')
    expect((await client.call('accounts.get', { alias: 'carol' })).enabled).toBe(true)
  })

  it('tag sets tags, notes and weight', async () => {
    const r = await cli(['tag', 'carol', 'home', 'spare', '--notes', 'backup seat', '--weight', '0.25', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(json<AccountView>(r)).toMatchObject({ tags: ['home', 'spare'], notes: 'backup seat', weight: 0.25 })
    expect(await client.call('accounts.get', { alias: 'carol' })).toMatchObject({
      tags: ['home', 'spare'],
      weight: 0.25,
    })
  })

  it('remove deletes the account; an unknown alias exits 1 naming it', async () => {
    const r = await cli(['remove', 'work', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(json(r)).toEqual({ ok: true, alias: 'work' })
    const err = await client.call('accounts.get', { alias: 'work' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcError)
    expect((err as RpcError).code).toBe(-32001)

    const [missing, missingJson] = await Promise.all([cli(['remove', 'work']), cli(['remove', 'work', '--json'])])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('work')
    expect(missingJson.code).toBe(1)
    expect(json<{ error: { code: number; name: string } }>(missingJson).error).toMatchObject({
      code: -32001,
      name: 'ACCOUNT_NOT_FOUND',
    })
  })

  it('path --json names the store, socket, Codex auth file and log file', async () => {
    const r = await cli(['path', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(json(r)).toEqual({
      store: dirs.storeFile,
      socket: dirs.socketPath,
      codexAuth: dirs.codexAuthFile,
      log: dirs.logFile,
    })
    const status = await client.call('daemon.status', {})
    expect([status.storePath, status.socketPath, status.codexAuthPath, status.logPath]).toEqual([
      dirs.storeFile,
      dirs.socketPath,
      dirs.codexAuthFile,
      dirs.logFile,
    ])
  })

  it("daemon status --json is the daemon's own status", async () => {
    const [r, human] = await Promise.all([cli(['daemon', 'status', '--json']), cli(['daemon', 'status'])])
    expect(r.code, r.stderr).toBe(0)
    const s = json<DaemonStatus>(r)
    expect(s).toMatchObject({
      pid: daemon.proc.pid,
      socketPath: dirs.socketPath,
      storePath: dirs.storeFile,
      strategy: 'least-used',
    })
    expect(human.stdout).toContain(String(daemon.proc.pid))
    expectClean(human)
  })

  const hasScript = spawnSync('script', ['--version']).status === 0
  it.skipIf(!hasScript)('colours a terminal, but not with NO_COLOR', async () => {
    // `script` gives the CLI a pseudo-terminal, the only place it may use colour.
    const onTty = (env: Record<string, string>): string => {
      const command = cliArgv(['list'])
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ')
      const r = spawnSync('script', ['-qec', command, '/dev/null'], {
        env: { ...env, TERM: 'xterm' },
        encoding: 'utf8',
        timeout: 20_000,
      })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain('carol')
      return r.stdout
    }
    const { NO_COLOR: _drop, ...colourEnv } = dirs.env
    expect(onTty(colourEnv)).toContain(ESC)
    expect(onTty({ ...dirs.env, NO_COLOR: '1' })).not.toContain(ESC)
  })
})
