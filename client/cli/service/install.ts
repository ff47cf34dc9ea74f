import { promises as fs } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { LAUNCHD_LABEL, SERVICE_UNIT, SOCKET_UNIT } from '../../service-manager.js'
import { completionFiles, type Shell } from './completion-files.js'
import { plan, type ServiceEnv } from './context.js'
import { launchdLogDir } from './launchd-plist.js'
import { writeIfChanged, type FileChange, type Manifest } from './unit-files.js'

export interface InstallOptions {
  passphraseFile?: string
  noStart?: boolean
  completions?: Shell[]
  /** Brings down a daemon that runs outside the service, so the service can own the store. */
  stopUnmanaged?: () => Promise<boolean>
  /** Completion scripts by shell, generated from the CLI program. */
  completionScript?: (shell: Shell) => string
}

export interface InstallResult {
  manager: 'systemd' | 'launchd'
  files: FileChange[]
  started: boolean
  /** Set when the files are written but the service manager could not be reached. */
  managerError?: string
}

/** A step of the service manager failed; what install wrote stays (install can be re-run). */
export class ManagerUnavailableError extends Error {
  constructor(
    message: string,
    readonly result: InstallResult,
  ) {
    super(message)
    this.name = 'ManagerUnavailableError'
  }
}

async function step(env: ServiceEnv, command: string, args: string[]): Promise<string | undefined> {
  const r = await env.run(command, args)
  return r.code === 0
    ? undefined
    : `\`${command} ${args.join(' ')}\` failed: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`
}

export async function installService(env: ServiceEnv, opts: InstallOptions = {}): Promise<InstallResult> {
  let passphraseFile = opts.passphraseFile
  if (passphraseFile && !isAbsolute(passphraseFile)) passphraseFile = resolve(passphraseFile)
  if (passphraseFile) await fs.access(passphraseFile)
  const p = plan(env, passphraseFile)
  // ProtectSystem=strict can only open up directories that exist when the service starts.
  for (const dir of p.layout.writable) await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  if (p.target.kind === 'launchd') await fs.mkdir(launchdLogDir(env.home), { recursive: true, mode: 0o700 })
  const files: FileChange[] = []
  for (const f of p.files) files.push(await writeIfChanged(f.path, f.text))
  for (const shell of opts.completions ?? []) {
    const script = opts.completionScript?.(shell)
    if (script === undefined) continue
    files.push(await writeIfChanged(completionFiles(env)[shell], script))
  }
  const manifest: Manifest = { manager: p.target.kind, files: files.map((f) => f.path) }
  await writeIfChanged(p.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o600)
  const result: InstallResult = { manager: p.target.kind, files, started: false }
  const changed = files.some((f) => f.action !== 'unchanged')

  const fail = (why: string): never => {
    result.managerError = why
    throw new ManagerUnavailableError(why, result)
  }
  if (p.target.kind === 'systemd') {
    const reload = await step(env, 'systemctl', ['--user', 'daemon-reload'])
    if (reload) fail(reload)
    if (opts.noStart) return result
    // A daemon the clients started holds the store: the service's own would be refused it.
    await opts.stopUnmanaged?.()
    for (const args of [
      ['--user', 'enable', '--now', SOCKET_UNIT],
      ['--user', 'enable', SERVICE_UNIT],
      ['--user', changed ? 'restart' : 'start', SERVICE_UNIT],
    ]) {
      const why = await step(env, 'systemctl', args)
      if (why) fail(why)
    }
    result.started = true
    return result
  }
  if (opts.noStart) return result
  const job = `gui/${env.uid}/${LAUNCHD_LABEL}`
  // A changed plist is only read at bootstrap: unload the old one first (not loaded is fine).
  if (changed) await env.run('launchctl', ['bootout', job])
  await opts.stopUnmanaged?.()
  const plist = p.files[0]?.path ?? ''
  const loaded = (await env.run('launchctl', ['print', job])).code === 0
  if (!loaded) {
    const why = await step(env, 'launchctl', ['bootstrap', `gui/${env.uid}`, plist])
    if (why) fail(why)
  }
  const why = await step(env, 'launchctl', ['enable', job])
  if (why) fail(why)
  result.started = true
  return result
}
