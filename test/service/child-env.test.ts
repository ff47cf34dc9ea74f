/**
 * Children get a minimal environment: the daemon a client launches (no
 * NODE_OPTIONS hook from the project dir, cwd = home, the passphrase on stdin
 * and not in its environment), the daemon's flock, and the daemon forgets the
 * passphrase variable once it has read it.
 */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startDaemon } from '../../client/launcher.js'
import { RpcClient } from '../../client/rpc/client.js'
import { flockCommandLock } from '../../daemon/codex/lock.js'
import { forgetSecrets } from '../../daemon/config.js'
import { silentLogger, systemClock } from '../../daemon/deps.js'
import { childEnv } from '../../protocol/child-env.js'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'
import { processGone } from '../cli/run.js'
import { until } from '../server/raw.js'

const all: TestDirs[] = []
const pids: number[] = []
afterAll(async () => {
  for (const pid of pids) if (!processGone(pid)) process.kill(pid, 'SIGTERM')
  for (const pid of pids) await until(() => processGone(pid), `daemon ${pid} to exit`)
  all.forEach(cleanup)
})

const environOf = (pid: number): Map<string, string> =>
  new Map(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
  )

describe('childEnv', () => {
  it('keeps paths, locale and proxy; drops NODE_OPTIONS, NODE_PATH, the passphrase and the rest', () => {
    const out = childEnv({
      HOME: '/h',
      PATH: '/bin',
      LC_ALL: 'C',
      XDG_RUNTIME_DIR: '/run/user/1',
      OPENCODE_MULTI_AUTH_SOCKET: '/s',
      HTTPS_PROXY: 'http://p:1',
      NODE_EXTRA_CA_CERTS: '/ca.pem',
      NODE_OPTIONS: '--require ./hook.cjs',
      NODE_PATH: '/evil',
      LD_PRELOAD: '/evil.so',
      OPENCODE_MULTI_AUTH_PASSPHRASE: 'pw',
      CODEX_SOFT_STORE_PASSPHRASE: 'pw',
      AWS_SECRET_ACCESS_KEY: 'x',
    })
    expect(Object.keys(out).sort()).toEqual(
      [
        'HOME',
        'HTTPS_PROXY',
        'LC_ALL',
        'NODE_EXTRA_CA_CERTS',
        'OPENCODE_MULTI_AUTH_SOCKET',
        'PATH',
        'XDG_RUNTIME_DIR',
      ].sort(),
    )
  })

  it('forgetSecrets removes both passphrase variables', () => {
    const env: Record<string, string | undefined> = {
      OPENCODE_MULTI_AUTH_PASSPHRASE: 'a',
      CODEX_SOFT_STORE_PASSPHRASE: 'b',
      HOME: '/h',
    }
    forgetSecrets(env)
    expect(env).toEqual({ HOME: '/h' })
  })
})

describe.skipIf(process.platform !== 'linux')('a daemon launched by a client', () => {
  it('runs in $HOME without NODE_OPTIONS or the passphrase in its environment, and still opens an encrypted store', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    const project = join(dirs.root, 'project')
    mkdirSync(project)
    const marker = join(dirs.root, 'hook-ran')
    writeFileSync(
      join(project, 'hook.cjs'),
      `require('fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid))\n`,
    )
    const env = {
      ...dirs.env,
      NODE_OPTIONS: `--require ${join(project, 'hook.cjs')}`,
      NODE_PATH: project,
      OPENCODE_MULTI_AUTH_PASSPHRASE: 'correct horse battery staple',
    }
    const { status, started } = await startDaemon({
      socketPath: dirs.socketPath,
      stderrFile: join(dirs.root, 'state', 'daemon.stderr'),
      env,
    })
    pids.push(status.pid)
    expect(started).toBe(true)
    expect(status.encrypted).toBe(true)
    expect(existsSync(marker)).toBe(false)
    expect(readlinkSync(`/proc/${status.pid}/cwd`)).toBe(dirs.home)
    const environ = environOf(status.pid)
    expect(environ.has('NODE_OPTIONS')).toBe(false)
    expect(environ.has('NODE_PATH')).toBe(false)
    expect(environ.has('OPENCODE_MULTI_AUTH_PASSPHRASE')).toBe(false)
    expect(environ.get('OPENCODE_MULTI_AUTH_SOCKET')).toBe(dirs.socketPath)
    const c = await RpcClient.connect({ socketPath: dirs.socketPath })
    await c.call('daemon.shutdown', {})
    c.close()
  }, 60_000)
})

describe("the daemon's flock child", () => {
  it('gets neither the passphrase nor NODE_OPTIONS', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    const dump = join(dirs.root, 'flock-env')
    const fake = join(dirs.root, 'flock')
    writeFileSync(fake, `#!/bin/sh\nenv > ${JSON.stringify(dump)}\necho locked\nexec cat >/dev/null\n`)
    chmodSync(fake, 0o755)
    const lock = flockCommandLock({
      clock: systemClock,
      logger: silentLogger,
      command: fake,
      spawn,
      env: { PATH: process.env.PATH, HOME: dirs.home, OPENCODE_MULTI_AUTH_PASSPHRASE: 'pw', NODE_OPTIONS: '--inspect' },
    })
    const release = await lock.acquire(dirs.root)
    await release()
    const seen = readFileSync(dump, 'utf8')
    expect(seen).toContain(`HOME=${dirs.home}`)
    expect(seen).not.toContain('OPENCODE_MULTI_AUTH_PASSPHRASE')
    expect(seen).not.toContain('NODE_OPTIONS')
  })
})
