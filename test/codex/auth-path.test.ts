/**
 * Where the Codex auth file is: `OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE`, else
 * `$CODEX_HOME/auth.json`, else `~/.codex/auth.json`. Each case uses a path none of
 * the others would give, so ignoring an override cannot pass for honouring it; the
 * overridden directories do not exist yet and are created on the first write.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { codexAuthFile } from '../../protocol/paths.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'
import { alice, pairFor, readJson } from './helpers.js'

describe('codexAuthFile', () => {
  const home = '/home/u'
  it('defaults to ~/.codex/auth.json', () => {
    expect(codexAuthFile({ env: {}, home })).toBe('/home/u/.codex/auth.json')
    expect(codexAuthFile({ env: { CODEX_HOME: '  ', OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE: '' }, home })).toBe(
      '/home/u/.codex/auth.json',
    )
  })
  it('takes auth.json from $CODEX_HOME', () => {
    expect(codexAuthFile({ env: { CODEX_HOME: '/srv/codex-home' }, home })).toBe('/srv/codex-home/auth.json')
  })
  it('takes the explicit file over $CODEX_HOME', () => {
    const env = { CODEX_HOME: '/srv/codex-home', OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE: '/opt/x/codex-auth.json' }
    expect(codexAuthFile({ env, home })).toBe('/opt/x/codex-auth.json')
  })
})

describe('the daemon honours the Codex auth file overrides', () => {
  const open: { app: TestApp; dirs: TestDirs }[] = []
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.app.close()
      cleanup(o.dirs)
    }
  })

  async function start(env: (root: string) => Record<string, string | undefined>): Promise<TestApp> {
    const dirs = makeDirs()
    delete dirs.env.CODEX_HOME
    for (const [k, v] of Object.entries(env(dirs.root))) if (v !== undefined) dirs.env[k] = v
    const app = await startTestApp({ dirs, noKeepAlive: true })
    open.push({ app, dirs })
    const p = pairFor(alice)
    await app.client.call('accounts.add', {
      accessToken: p.accessToken,
      refreshToken: p.refreshToken,
      idToken: p.idToken,
    })
    return app
  }

  async function expectWrittenTo(app: TestApp, file: string): Promise<void> {
    expect((await app.client.call('daemon.status', {})).codexAuthPath).toBe(file)
    expect(existsSync(file)).toBe(false)
    expect(await app.client.call('codex.use', { alias: 'alice' })).toEqual({ alias: 'alice', path: file })
    expect(readJson(file).tokens.account_id).toBe(alice.accountId)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    // The default place was left alone.
    expect(existsSync(join(app.dirs.home, '.codex'))).toBe(false)
  }

  it('writes $CODEX_HOME/auth.json, creating a missing $CODEX_HOME', async () => {
    let codexHome = ''
    const app = await start((root) => ({ CODEX_HOME: (codexHome = join(root, 'elsewhere', 'codex-home')) }))
    await expectWrittenTo(app, join(codexHome, 'auth.json'))
  })

  it('writes OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE over $CODEX_HOME, creating its directory', async () => {
    let file = ''
    let codexHome = ''
    const app = await start((root) => ({
      CODEX_HOME: (codexHome = join(root, 'codex-home')),
      OPENCODE_MULTI_AUTH_CODEX_AUTH_FILE: (file = join(root, 'explicit', 'deeper', 'codex-auth.json')),
    }))
    await expectWrittenTo(app, file)
    expect(existsSync(join(codexHome, 'auth.json'))).toBe(false)
  })

  it('writes ~/.codex/auth.json without overrides', async () => {
    const app = await start(() => ({}))
    const file = join(app.dirs.home, '.codex', 'auth.json')
    expect((await app.client.call('daemon.status', {})).codexAuthPath).toBe(file)
    await app.client.call('codex.use', { alias: 'alice' })
    expect(readJson(file).tokens.account_id).toBe(alice.accountId)
  })
})
