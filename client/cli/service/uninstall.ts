import { promises as fs } from 'node:fs'
import { LAUNCHD_LABEL, SERVICE_UNIT, SOCKET_UNIT } from '../../service-manager.js'
import { plan, type ServiceEnv } from './context.js'
import { readManifest } from './unit-files.js'

export interface UninstallResult {
  manager: 'systemd' | 'launchd'
  removed: string[]
  /** Service-manager steps that failed (the files are removed regardless). */
  warnings: string[]
}

/** Stops and disables the service, then removes exactly the files install wrote (its manifest says which). */
export async function uninstallService(env: ServiceEnv): Promise<UninstallResult> {
  const p = plan(env)
  const manifest = await readManifest(p.manifestPath)
  const files = manifest?.files ?? p.files.map((f) => f.path)
  const warnings: string[] = []
  const note = async (command: string, args: string[], okCodes: number[] = [0]): Promise<void> => {
    const r = await env.run(command, args)
    if (!okCodes.includes(r.code))
      warnings.push(`\`${command} ${args.join(' ')}\`: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`)
  }
  if (p.target.kind === 'systemd') {
    await note('systemctl', ['--user', 'disable', '--now', SOCKET_UNIT, SERVICE_UNIT])
  } else {
    await note('launchctl', ['bootout', `gui/${env.uid}/${LAUNCHD_LABEL}`], [0, 3, 113])
  }
  const removed: string[] = []
  for (const f of files) {
    try {
      await fs.unlink(f)
      removed.push(f)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  await fs.rm(p.manifestPath, { force: true })
  if (p.target.kind === 'systemd') await note('systemctl', ['--user', 'daemon-reload'])
  return { manager: p.target.kind, removed, warnings }
}
