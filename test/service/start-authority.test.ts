/**
 * One start authority: ten clients auto-starting at once make one daemon (the
 * spawn lock); with a service installed the service manager is asked instead
 * and nothing is spawned.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startDaemon } from '../../client/launcher.js'
import type { CommandRunner } from '../../client/run-command.js'
import { RpcClient } from '../../client/rpc/client.js'
import { cleanup, makeDirs, spawnDaemonProcess, type TestDirs } from '../helpers/daemon.js'
import { processGone } from '../cli/run.js'
import { until } from '../server/raw.js'

const all: TestDirs[] = []
const pids = new Set<number>()
afterAll(async () => {
  for (const pid of pids) if (!processGone(pid)) process.kill(pid, 'SIGTERM')
  for (const pid of pids) await until(() => processGone(pid), `daemon ${pid} to exit`, 20_000)
  all.forEach(cleanup)
})

describe('auto-start without a service', () => {
  it('10 concurrent starts spawn exactly one daemon, and all see it', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    // A machine with a store folder: an explicit socket without one means a remote daemon (never auto-started).
    mkdirSync(dirname(dirs.storeFile), { recursive: true, mode: 0o700 })
    let spawned = 0
    const counting = ((...args: Parameters<typeof spawn>) => {
      spawned++
      const child = spawn(...args)
      if (child.pid) pids.add(child.pid)
      return child
    }) as typeof spawn
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        startDaemon({
          socketPath: dirs.socketPath,
          stderrFile: join(dirs.root, 'state', 'daemon.stderr'),
          env: dirs.env,
          auto: true,
          spawn: counting,
          timeoutMs: 30_000,
        }),
      ),
    )
    expect(spawned).toBe(1)
    expect(new Set(results.map((r) => r.status.pid)).size).toBe(1)
    expect(results.filter((r) => r.started)).toHaveLength(1)
  }, 60_000)
})

describe('auto-start with a service installed', () => {
  it('asks the service manager (systemctl --user start <socket>) and spawns nothing', async () => {
    const dirs = makeDirs()
    all.push(dirs)
    const unitDir = join(dirs.env.XDG_CONFIG_HOME ?? '', 'systemd', 'user')
    mkdirSync(unitDir, { recursive: true })
    for (const f of ['opencode-multi-auth.service', 'opencode-multi-auth.socket'])
      writeFileSync(join(unitDir, f), '#\n')
    const calls: string[] = []
    let managed: ChildProcess | undefined
    // The "service manager": starts the daemon when asked, as systemd would.
    const run: CommandRunner = (command, args) => {
      calls.push(`${command} ${args.join(' ')}`)
      managed = spawnDaemonProcess(dirs).proc
      if (managed.pid) pids.add(managed.pid)
      return Promise.resolve({ code: 0, stdout: '', stderr: '' })
    }
    const spawnNever = (() => {
      throw new Error('must not spawn with a service installed')
    }) as unknown as typeof spawn
    const r = await startDaemon({
      socketPath: dirs.socketPath,
      stderrFile: join(dirs.root, 'state', 'daemon.stderr'),
      env: dirs.env,
      auto: true,
      spawn: spawnNever,
      run,
      platform: 'linux',
      timeoutMs: 30_000,
    })
    expect(calls).toEqual(['systemctl --user start opencode-multi-auth.socket'])
    expect(r.via).toBe('systemd')
    expect(r.status.pid).toBe(managed?.pid)
    const c = await RpcClient.connect({ socketPath: dirs.socketPath })
    await c.call('daemon.shutdown', {})
    c.close()
  }, 60_000)
})
