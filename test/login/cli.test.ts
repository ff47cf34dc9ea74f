/**
 * The CLI commands of issue 5, run as a user runs them (a separate process on
 * the daemon's socket): add (browser and --device), import --codex/--legacy,
 * codex use.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { Identity } from '../fakes/jwt.js'
import type { TestApp } from '../helpers/app.js'
import { closedAfterEach } from '../helpers/issuer-app.js'
import { alice, authJsonFor, bob, pairFor, readJson, until, writeInPlace } from '../codex/helpers.js'
import { toLoopback, twoFreePorts } from './helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

const daemons = closedAfterEach()
// Registered after `daemons`, so the children are killed before the daemon closes.
const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill()
})

interface Run {
  child: ChildProcess
  stdout(): string
  stderr(): string
  done: Promise<number | null>
}

function cli(app: TestApp, args: string[]): Run {
  const env = { ...app.dirs.env }
  delete env.DISPLAY
  delete env.WAYLAND_DISPLAY
  const child = spawn(process.execPath, ['--import', tsx, join(root, 'client/cli/main.ts'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)))
  return { child, stdout: () => out, stderr: () => err, done }
}

const erin: Identity = { email: 'erin@example.com', accountId: 'acc-erin', userId: 'user-erin' }

describe('CLI: add, import, codex', () => {
  it('add --device prints the code and URL, waits, and prints the account', async () => {
    const { app: t, issuer } = await daemons.withIssuer({ issuer: { deviceIntervalS: 0.25 } })
    const run = cli(t, ['add', 'erin-work', '--device', '--json'])
    const code = await until(
      () => /enter the code: ([A-F0-9]{4}-[A-F0-9]{4})/.exec(run.stderr())?.[1],
      'the user code',
      15_000,
    )
    expect(run.stderr()).toContain(`${issuer.url}/codex/device`)
    issuer.approveDevice(code, erin)
    expect(await run.done).toBe(0)
    expect(JSON.parse(run.stdout())).toMatchObject({ alias: 'erin-work', email: 'erin@example.com' })
  })

  it('add (browser, --no-open) prints the URL and completes when the browser comes back', async () => {
    const { app: t, issuer } = await daemons.withIssuer({
      env: { OPENCODE_MULTI_AUTH_LOGIN_PORTS: await twoFreePorts() },
    })
    issuer.setNextLogin(erin)
    const run = cli(t, ['add', '--no-open'])
    const url = await until(
      () => /(http:\/\/\S+\/oauth\/authorize\?\S+)/.exec(run.stdout())?.[1],
      'the sign-in URL',
      15_000,
    )
    const redirect = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? ''
    expect((await fetch(toLoopback(redirect))).status).toBe(200)
    expect(await run.done).toBe(0)
    expect(run.stdout()).toMatch(/signed in: account erin \(erin@example.com\)/)
  })

  it('import --legacy sends each entry of the old array store through identity matching', async () => {
    const t = await daemons.app()
    const a = pairFor(alice)
    const b = pairFor(bob)
    const alice2: Identity = { email: 'alice@other.example', accountId: 'acc-a2', userId: 'user-a2' }
    const c = pairFor(alice2)
    const file = join(t.dirs.home, 'legacy.json')
    writeFileSync(
      file,
      JSON.stringify({
        activeIndex: 0,
        accounts: [
          {
            email: 'alice@example.com',
            accessToken: a.accessToken,
            refreshToken: a.refreshToken,
            idToken: a.idToken,
            expiresAt: 1,
          },
          { email: 'bob@example.com', access_token: b.accessToken, refresh_token: b.refreshToken },
          {
            email: 'alice@other.example',
            accessToken: c.accessToken,
            refreshToken: c.refreshToken,
            idToken: c.idToken,
          },
          { email: 'broken@example.com' },
        ],
      }),
    )
    const run = cli(t, ['import', '--legacy', file, '--json'])
    expect(await run.done).toBe(1) // one entry had no tokens
    const out = JSON.parse(run.stdout()) as { results: { alias?: string; ok: boolean }[] }
    expect(out.results.map((r) => [r.alias, r.ok])).toEqual([
      ['alice', true],
      ['bob', true],
      ['alice-1', true],
      [undefined, false],
    ])
    const store = t.app.components.store.data.accounts
    expect(store.alice.refreshToken).toBe(a.refreshToken)
    // The old file's expiresAt (here a bogus 1) is not trusted: the JWT's exp is.
    expect(store.alice.expiresAt).toBeGreaterThan(Date.now())
    expect(store['alice-1'].userId).toBe('user-a2')
    // Running it again changes nothing: identities match, aliases stay.
    const again = cli(t, ['import', '--legacy', file, '--json'])
    await again.done
    expect(Object.keys(t.app.components.store.data.accounts).sort()).toEqual(['alice', 'alice-1', 'bob'])
  })

  it('import --legacy without a path reads the default file under ~/.config/opencode', async () => {
    const t = await daemons.app()
    const a = pairFor(alice)
    writeInPlace(join(t.dirs.home, '.config', 'opencode', 'opencode-multi-auth-codex-accounts.json'), {
      accounts: [{ email: 'alice@example.com', accessToken: a.accessToken, refreshToken: a.refreshToken }],
    })
    const run = cli(t, ['import', '--legacy'])
    expect(await run.done).toBe(0)
    expect(run.stdout()).toContain('1 of 1 account(s) imported')
  })

  it('import --codex adopts auth.json now; codex use switches it', async () => {
    const t = await daemons.app()
    const a = pairFor(alice)
    writeInPlace(t.dirs.codexAuthFile, authJsonFor(a))
    const imp = cli(t, ['import', '--codex', '--json'])
    expect(await imp.done).toBe(0)
    expect(JSON.parse(imp.stdout())).toMatchObject({ alias: 'alice', path: t.dirs.codexAuthFile })
    expect(t.app.components.store.data.accounts.alice.refreshToken).toBe(a.refreshToken)

    const b = pairFor(bob)
    await t.client.call('accounts.add', { ...b })
    const use = cli(t, ['codex', 'use', 'bob'])
    expect(await use.done).toBe(0)
    expect(use.stdout()).toContain('Codex now uses bob')
    expect(readJson(t.dirs.codexAuthFile).tokens.refresh_token).toBe(b.refreshToken)

    const bad = cli(t, ['codex', 'use', 'nobody', '--json'])
    expect(await bad.done).toBe(1)
    expect(JSON.parse(bad.stdout())).toMatchObject({ error: { name: 'ACCOUNT_NOT_FOUND' } })
  })
})
