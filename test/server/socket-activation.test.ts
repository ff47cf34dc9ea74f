/**
 * Socket activation for real: systemd-socket-activate binds the socket and
 * launches the daemon only when the first client connects, passing the
 * listening socket as fd 3 (LISTEN_FDS/LISTEN_PID). That first client is
 * answered by the daemon it woke up.
 */
import { spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { daemonCommand } from '../../client/launcher.js'
import { RpcClient } from '../../client/rpc/client.js'
import { takeListenFd } from '../../daemon/server/listen-fds.js'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'
import { until } from './raw.js'

const ACTIVATE = '/usr/bin/systemd-socket-activate'
const all: TestDirs[] = []
afterAll(() => all.forEach(cleanup))

describe('takeListenFd', () => {
  it('takes fd 3 only when LISTEN_PID names this process, and clears the variables', () => {
    const mine: Record<string, string | undefined> = { LISTEN_FDS: '1', LISTEN_PID: '42', LISTEN_FDNAMES: 'x' }
    expect(takeListenFd(mine, 42)).toBe(3)
    expect(mine).toEqual({})
    expect(takeListenFd({ LISTEN_FDS: '1', LISTEN_PID: '41' }, 42)).toBeUndefined()
    expect(takeListenFd({ LISTEN_FDS: '0', LISTEN_PID: '42' }, 42)).toBeUndefined()
    expect(takeListenFd({}, 42)).toBeUndefined()
  })
})

describe.skipIf(!existsSync(ACTIVATE))('a socket-activated daemon', () => {
  it('answers the client whose connection started it, and leaves the socket to the manager', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    mkdirSync(dirname(dirs.socketPath), { recursive: true, mode: 0o700 })
    const { command, args } = daemonCommand()
    // systemd-socket-activate passes only the variables named with -E (plus PATH/HOME/TERM/USER).
    const setenv = Object.entries(dirs.env).flatMap(([k, v]) => ['-E', `${k}=${v}`])
    const proc = spawn(ACTIVATE, ['-l', dirs.socketPath, ...setenv, command, ...args], {
      env: dirs.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve))
    try {
      await until(() => existsSync(dirs.socketPath), 'the activator to bind the socket')
      expect(lstatSync(dirs.socketPath).isSocket()).toBe(true)
      // Connected before any daemon process exists: the call waits in the backlog, then is answered.
      const client = await RpcClient.connect({ socketPath: dirs.socketPath, timeoutMs: 30_000 })
      const status = await client.call('daemon.status', {})
      client.close()
      // exec'd by the activator: the daemon is the activator's pid.
      expect(status.pid, stderr).toBe(proc.pid)
      expect(status.socketPath).toBe(dirs.socketPath)
      proc.kill('SIGTERM')
      expect(await exited).toBe(0)
      // The socket belongs to the service manager; a daemon that removed it would strand the next activation.
      expect(existsSync(dirs.socketPath)).toBe(true)
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL')
    }
  }, 60_000)
})
