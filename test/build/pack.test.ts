/**
 * What a user installs: `npm pack` (whose prepack builds dist/ from the sources), the
 * tarball installed into a fresh project with runtime dependencies only, and both bins
 * run from there with plain node — the daemon started, asked and stopped through the
 * installed CLI, in private HOME/XDG dirs and a private socket.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanup, makeDirs } from '../helpers/daemon.js'
import { until } from '../server/raw.js'
import { installOffline, npmEnv } from './offline-install.js'

const root = join(import.meta.dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  version: string
  bin: Record<string, string>
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  files: string[]
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch {
    return true
  }
}

describe('the packed package', () => {
  const work = mkdtempSync(join(tmpdir(), 'oma-pack-'))
  const dirs = makeDirs()
  let daemonPid: number | undefined
  afterAll(async () => {
    if (daemonPid !== undefined && !processGone(daemonPid)) {
      process.kill(daemonPid, 'SIGKILL')
      await until(() => processGone(daemonPid!), 'the packed daemon to die')
    }
    cleanup(dirs)
    rmSync(work, { recursive: true, force: true })
  })

  it('keeps build tools out of what users install', () => {
    expect(pkg.dependencies).not.toHaveProperty('tsx')
    expect(pkg.devDependencies).toHaveProperty('tsx')
    expect(pkg.files).toContain('dist')
  })

  it('packs dist/ via prepack, installs offline and runs both bins: --version, daemon start, status, daemon stop', async () => {
    // No dist/ to begin with: what ships must come from prepack, not from an earlier build.
    rmSync(join(root, 'dist'), { recursive: true, force: true })
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      env: npmEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const packed = (JSON.parse(out) as { filename: string; files: { path: string }[] }[])[0]
    if (!packed) throw new Error(`npm pack printed no package: ${out}`)
    const tarball = join(work, packed.filename)
    const files = packed.files.map((f) => f.path)
    // Every bin target ships; no sources or tests do.
    for (const rel of Object.values(pkg.bin)) expect(files).toContain(rel.replace(/^\.\//, ''))
    expect(files).toContain('dist/client/plugin/index.js')
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    expect(files.filter((f) => f.startsWith('test/'))).toEqual([])

    const project = join(work, 'project')
    installOffline({ root, tarball, manifest: pkg, into: project })
    const installed = join(project, 'node_modules', pkg.name)
    // Installed with runtime dependencies only: tsx (a devDependency) is absent.
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false)
    expect(readdirSync(join(installed, 'dist', 'daemon'))).toContain('main.js')
    // The daemon that ships is the bundle (scripts/build-daemon.mjs), not tsc's main.js that
    // imports its siblings: its own imports are node builtins and its chunks only.
    const daemonImports = [
      ...readFileSync(join(installed, 'dist', 'daemon', 'main.js'), 'utf8').matchAll(/\bfrom\s*["']([^"']+)["']/g),
    ].map((m) => m[1] ?? '')
    expect(daemonImports.filter((s) => !s.startsWith('node:') && !s.startsWith('./chunks/'))).toEqual([])
    expect(daemonImports.some((s) => s.startsWith('./chunks/'))).toBe(true)

    const bin = (name: string) => join(project, 'node_modules', '.bin', name)
    const run = (name: string, args: string[]) =>
      execFileSync(bin(name), args, { cwd: dirs.home, env: dirs.env, encoding: 'utf8', timeout: 60_000 }).trim()
    for (const name of Object.keys(pkg.bin)) expect(run(name, ['--version']), name).toBe(pkg.version)

    const started = JSON.parse(run('opencode-multi-auth', ['daemon', 'start', '--json'])) as {
      started: boolean
      pid: number
      socketPath: string
    }
    daemonPid = started.pid
    expect(started).toMatchObject({ started: true, socketPath: dirs.socketPath })
    // The daemon that answers is the installed one, not the checkout's.
    const cmdline = readFileSync(`/proc/${started.pid}/cmdline`, 'utf8').split('\0')
    expect(cmdline).toContain(join(installed, 'dist', 'daemon', 'main.js'))

    const status = JSON.parse(run('opencode-multi-auth', ['status', '--json'])) as {
      daemon: { pid: number; version: string }
      accounts: unknown[]
    }
    expect(status.daemon).toMatchObject({ pid: started.pid, version: pkg.version })
    expect(status.accounts).toEqual([])

    const stopped = JSON.parse(run('opencode-multi-auth', ['daemon', 'stop', '--json'])) as { stopped: boolean }
    expect(stopped.stopped).toBe(true)
    await until(() => processGone(started.pid), 'the packed daemon to exit')
    expect(existsSync(dirs.socketPath)).toBe(false)
  }, 240_000)
})
