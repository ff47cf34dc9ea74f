/**
 * The CLI without a daemon (exit 3 and how to start one), usage errors (exit 2),
 * and `daemon start|stop` managing a real detached daemon: started once, never
 * twice, and stopped for good.
 */
import { existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanup, makeDirs, type TestDirs } from '../helpers/daemon.js'
import { until } from '../server/raw.js'
import { daemonsOn, json, killStrayClis, processGone, runCli } from './run.js'

const allDirs: TestDirs[] = []
const startedPids = new Set<number>()

function dirsFor(): TestDirs {
  const d = makeDirs()
  allDirs.push(d)
  return d
}

afterAll(async () => {
  killStrayClis()
  // Whatever the CLI started on our sockets, reported or not.
  for (const d of allDirs) for (const pid of daemonsOn(d.socketPath)) startedPids.add(pid)
  for (const pid of startedPids) {
    if (!processGone(pid)) process.kill(pid, 'SIGKILL')
  }
  for (const pid of startedPids) await until(() => processGone(pid), `daemon ${pid} to die`)
  for (const d of allDirs) cleanup(d)
})

describe('CLI with no daemon running', () => {
  const dirs = dirsFor()
  const cli = (args: string[], input?: string) => runCli(args, { env: dirs.env, input })

  it('exits 3 and says how to start the daemon', async () => {
    const [human, asJson] = await Promise.all([cli(['status']), cli(['list', '--json'])])
    expect(human.code).toBe(3)
    expect(human.stderr).toContain(dirs.socketPath)
    expect(human.stderr).toContain('opencode-multi-auth daemon start')
    expect(human.stdout).toBe('')
    expect(asJson.code).toBe(3)
    expect(json<{ error: { name: string; message: string } }>(asJson).error).toMatchObject({
      name: 'DAEMON_NOT_RUNNING',
    })
    expect(json<{ error: { message: string } }>(asJson).error.message).toContain('daemon start')
  })

  it('exits 2 on usage errors, before trying to reach a daemon', async () => {
    const results = await Promise.all([
      cli(['frobnicate']),
      cli(['remove']),
      cli(['list', '--no-such-flag']),
      cli(['add-tokens'], 'this is not json'),
      cli(['add-tokens'], JSON.stringify({ access_token: 'x' })),
    ])
    for (const r of results) expect(r.code, r.stderr).toBe(2)
    const [unknown, missing, , notJson, wrongShape] = results
    expect(unknown.stderr).toMatch(/unknown command/i)
    expect(missing.stderr).toMatch(/missing required argument/i)
    expect(notJson.stderr).toMatch(/not JSON/)
    expect(wrongShape.stderr).toMatch(/expected/)
    // None of them said "no daemon": the usage error won.
    for (const r of results) expect(r.stderr).not.toContain('daemon start')
  })

  it('--help and --version exit 0', async () => {
    const [help, version] = await Promise.all([cli(['--help']), cli(['--version'])])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('add-tokens')
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('daemon start | status | stop', () => {
  const dirs = dirsFor()
  const cli = (args: string[]) => runCli(args, { env: dirs.env })

  it('starts one detached daemon, reports the running one on a second start, and stops it', async () => {
    const first = await cli(['daemon', 'start', '--json'])
    expect(first.code, first.stderr).toBe(0)
    const started = json<{ started: boolean; pid: number; socketPath: string }>(first)
    startedPids.add(started.pid)
    expect(started).toMatchObject({ started: true, socketPath: dirs.socketPath })
    expect(processGone(started.pid)).toBe(false)
    // Detached: it outlived the CLI that started it, and answers.
    const status = await cli(['daemon', 'status', '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(json<{ pid: number }>(status).pid).toBe(started.pid)

    // Two more starts at once: both find the running one, neither starts another.
    const [second, human] = await Promise.all([cli(['daemon', 'start', '--json']), cli(['daemon', 'start'])])
    expect(second.code, second.stderr).toBe(0)
    expect(json(second)).toMatchObject({ started: false, pid: started.pid })
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`already running (pid ${started.pid})`)
    expect(daemonsOn(dirs.socketPath)).toEqual([started.pid])

    const stop = await cli(['daemon', 'stop', '--json'])
    expect(stop.code, stop.stderr).toBe(0)
    expect(json(stop)).toMatchObject({ stopped: true, pid: started.pid })
    await until(() => processGone(started.pid), 'the stopped daemon to exit')
    expect(existsSync(dirs.socketPath)).toBe(false)
    expect(daemonsOn(dirs.socketPath)).toEqual([])

    // Stopped means stopped: the CLI now reports no daemon.
    const [after, statusAfter] = await Promise.all([cli(['daemon', 'stop']), cli(['daemon', 'status'])])
    expect(after.code).toBe(3)
    expect(statusAfter.code).toBe(3)
  })
})

describe('daemon restart (no service installed)', () => {
  const dirs = dirsFor()
  const cli = (args: string[]) => runCli(args, { env: dirs.env, timeoutMs: 40_000 })

  it('replaces the running daemon with a new process, and starts one when none runs', async () => {
    const first = json<{ pid: number }>(await cli(['daemon', 'start', '--json']))
    startedPids.add(first.pid)
    const r = await cli(['daemon', 'restart', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const restarted = json<{ previousPid: number; pid: number }>(r)
    startedPids.add(restarted.pid)
    expect(restarted.previousPid).toBe(first.pid)
    expect(restarted.pid).not.toBe(first.pid)
    await until(() => processGone(first.pid), 'the old daemon to exit')
    expect(daemonsOn(dirs.socketPath)).toEqual([restarted.pid])
    expect((await cli(['daemon', 'stop'])).code).toBe(0)
    await until(() => processGone(restarted.pid), 'the new daemon to exit')
  }, 60_000)
})
