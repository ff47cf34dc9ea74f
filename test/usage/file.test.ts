import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { usageFilePath } from '../../daemon/usage/file.js'
import { KeyCache, newSalt } from '../../daemon/store/crypto.js'
import { makeSealer } from '../../daemon/store/sealer.js'
import { FakeClock } from '../helpers/clock.js'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'
import { startUsageApp, type UsageApp } from './support.js'

let app: UsageApp | undefined
let dirs: TestDirs | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
  if (dirs) cleanup(dirs)
  dirs = undefined
})

const PASSPHRASE = 'correct horse battery staple'

async function restart(clock: FakeClock): Promise<UsageApp> {
  await app!.close()
  app = await startUsageApp({ dirs, clock })
  return app
}

function asideFiles(file: string): string[] {
  return readdirSync(dirname(file))
    .filter((n) => n.startsWith(`${file.slice(dirname(file).length + 1)}.corrupt-`))
    .map((n) => join(dirname(file), n))
}

describe('the usage file', () => {
  it('a corrupt file is set aside, the daemon starts, and history starts over', async () => {
    dirs = makeDirs()
    const clock = new FakeClock()
    app = await startUsageApp({ dirs, clock })
    await app.add('alice', 1)
    await app.t.client.call('token.report', { alias: 'alice', status: 200, usage: { inputTokens: 5, outputTokens: 1 } })
    await app.usageFlush()
    const file = usageFilePath(dirs.storeFile)
    await app.close()
    app = undefined
    writeFileSync(file, '{"version":1,"accounts":{"alice":{"key":')
    app = await startUsageApp({ dirs, clock })
    const got = await app.t.client.call('usage.get', { since: 0 })
    expect(got.accounts[0].totals.requests).toBe(0)
    const aside = asideFiles(file)
    expect(aside).toHaveLength(1)
    expect(readFileSync(aside[0], 'utf8')).toBe('{"version":1,"accounts":{"alice":{"key":')
    // And history goes on in a new file.
    await app.t.client.call('token.report', { alias: 'alice', status: 200, usage: { inputTokens: 5, outputTokens: 1 } })
    await restart(clock)
    expect((await app.t.client.call('usage.get', { since: 0 })).accounts[0].totals.inputTokens).toBe(5)
  })

  it('with a passphrase the file is encrypted at rest, reloads, and a corrupt one is set aside sealed', async () => {
    dirs = makeDirs({ OPENCODE_MULTI_AUTH_PASSPHRASE: PASSPHRASE })
    const clock = new FakeClock()
    app = await startUsageApp({ dirs, clock })
    await app.add('zebra-account', 1)
    await app.t.client.call('token.report', {
      alias: 'zebra-account',
      status: 200,
      usage: { inputTokens: 4242, outputTokens: 17 },
    })
    await app.usageFlush()
    const file = usageFilePath(dirs.storeFile)
    const raw = readFileSync(file, 'utf8')
    for (const plain of ['zebra-account', 'inputTokens', '4242', 'requests'])
      expect(raw.includes(plain), `"${plain}" is in the file`).toBe(false)
    expect(JSON.parse(raw)).toMatchObject({ encrypted: true })
    await restart(clock)
    expect((await app.t.client.call('usage.get', { since: 0 })).accounts[0].totals.inputTokens).toBe(4242)

    // A plaintext file that is damaged must not stay on disk as plaintext.
    await app.close()
    app = undefined
    writeFileSync(file, '{"version":1,"accounts":{"zebra-account": damaged')
    app = await startUsageApp({ dirs, clock })
    expect((await app.t.client.call('usage.get', { since: 0 })).accounts[0].totals.requests).toBe(0)
    const aside = asideFiles(file)
    expect(aside).toHaveLength(1)
    const kept = readFileSync(aside[0], 'utf8')
    expect(kept.includes('zebra-account')).toBe(false)
    expect(JSON.parse(kept)).toMatchObject({ encrypted: true })
  })

  it('a plaintext history from before the passphrase is kept and encrypted at the next write', async () => {
    dirs = makeDirs()
    const clock = new FakeClock()
    app = await startUsageApp({ dirs, clock })
    await app.add('alice', 1)
    await app.t.client.call('token.report', { alias: 'alice', status: 200, usage: { inputTokens: 9, outputTokens: 1 } })
    await app.close()
    app = undefined
    const encrypted = { ...dirs, env: { ...dirs.env, OPENCODE_MULTI_AUTH_PASSPHRASE: PASSPHRASE } }
    app = await startUsageApp({ dirs: encrypted, clock })
    expect((await app.t.client.call('usage.get', { since: 0 })).accounts[0].totals.inputTokens).toBe(9)
    await app.t.client.call('token.report', { alias: 'alice', status: 200 })
    await app.usageFlush()
    expect(readFileSync(usageFilePath(dirs.storeFile), 'utf8').includes('alice')).toBe(false)
  })

  it('a history sealed with another passphrase is set aside as it is; the daemon starts', async () => {
    dirs = makeDirs({ OPENCODE_MULTI_AUTH_PASSPHRASE: PASSPHRASE })
    const clock = new FakeClock()
    const file = usageFilePath(dirs.storeFile)
    app = await startUsageApp({ dirs, clock })
    await app.add('alice', 1)
    await app.close()
    app = undefined
    const foreign = await makeSealer(new KeyCache('another passphrase'), newSalt(), 1).seal(
      '{"version":1,"accounts":{}}',
    )
    writeFileSync(file, foreign)
    app = await startUsageApp({ dirs, clock })
    expect((await app.t.client.call('usage.get', { since: 0 })).accounts[0].totals.requests).toBe(0)
    const aside = asideFiles(file)
    expect(aside).toHaveLength(1)
    expect(readFileSync(aside[0])).toEqual(foreign)
  })

  it('a temp file a crashed write left is removed at the next start', async () => {
    dirs = makeDirs()
    const clock = new FakeClock()
    app = await startUsageApp({ dirs, clock })
    await app.close()
    app = undefined
    const file = usageFilePath(dirs.storeFile)
    const temp = join(dirname(file), `.${file.slice(dirname(file).length + 1)}.tmp-99999-1`)
    writeFileSync(temp, '{"version":1,')
    app = await startUsageApp({ dirs, clock })
    expect(existsSync(temp)).toBe(false)
  })
})
