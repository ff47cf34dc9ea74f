import { promises as fs } from 'node:fs'
import { dirname } from 'node:path'
import { lineDiff } from './diff.js'

export interface FileChange {
  path: string
  action: 'created' | 'changed' | 'unchanged'
  /** For a changed file: its lines removed ("- ") and added ("+ "). */
  diff?: string[]
}

async function readOr(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Writes a file only when its text differs (temp + rename), and says what changed. */
export async function writeIfChanged(path: string, text: string, mode = 0o644): Promise<FileChange> {
  const before = await readOr(path)
  if (before === text) return { path, action: 'unchanged' }
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o755 })
  const tmp = `${path}.tmp-${process.pid}`
  await fs.writeFile(tmp, text, { mode })
  await fs.rename(tmp, path)
  return before === undefined ? { path, action: 'created' } : { path, action: 'changed', diff: lineDiff(before, text) }
}

export async function isCurrent(path: string, text: string): Promise<boolean> {
  return (await readOr(path)) === text
}

/** What install wrote, so uninstall removes exactly that and nothing else. */
export interface Manifest {
  manager: 'systemd' | 'launchd'
  files: string[]
}

export async function readManifest(path: string): Promise<Manifest | undefined> {
  const text = await readOr(path)
  if (text === undefined) return undefined
  const parsed = JSON.parse(text) as Partial<Manifest>
  if ((parsed.manager !== 'systemd' && parsed.manager !== 'launchd') || !Array.isArray(parsed.files)) return undefined
  return { manager: parsed.manager, files: parsed.files.filter((f): f is string => typeof f === 'string') }
}
