/**
 * auth.json as a symbolic link (dotfile managers, a shared CODEX_HOME): an
 * atomic rename over the link would replace it with a regular file and leave
 * the link's target holding a refresh token the daemon just spent. So the
 * daemon writes through a link only when its target is a private file of this
 * user, and otherwise leaves both alone (and says why in `codex sync`).
 */
import { lstat, readlink, realpath, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { errnoCode } from '../store/fs.js'

export interface LinkInfo {
  /** Where the link leads (fully resolved when it resolves; the raw link text made absolute when it does not). */
  target: string
  /** True when writes go to `target` (atomically, in the target's directory). */
  writable: boolean
  /** Why the daemon will not write through the link. */
  reason?: string
}

/** `undefined` when `file` is not a symbolic link (absent, or a regular file). Never throws. */
export async function inspectLink(
  file: string,
  uid: number | undefined = process.getuid?.(),
): Promise<LinkInfo | undefined> {
  try {
    if (!(await lstat(file)).isSymbolicLink()) return undefined
  } catch {
    return undefined
  }
  let target: string
  try {
    target = await realpath(file)
  } catch (err) {
    const raw = await readlink(file).catch(() => '')
    const code = errnoCode(err)
    return {
      target: raw === '' ? file : resolve(dirname(file), raw),
      writable: false,
      reason: code === 'ELOOP' ? 'the link loops' : 'the link is dangling (its target does not exist)',
    }
  }
  try {
    const st = await stat(target)
    if (!st.isFile()) return { target, writable: false, reason: 'the link target is not a regular file' }
    if (uid !== undefined && st.uid !== uid) {
      return { target, writable: false, reason: `the link target is owned by another user (uid ${st.uid})` }
    }
    const mode = st.mode & 0o777
    if ((mode & 0o077) !== 0) {
      return {
        target,
        writable: false,
        reason: `the link target is accessible by group/others (mode ${mode.toString(8).padStart(3, '0')}); chmod 600 it`,
      }
    }
    return { target, writable: true }
  } catch (err) {
    return { target, writable: false, reason: `cannot stat the link target (${errnoCode(err) ?? 'error'})` }
  }
}

/** `r` with its `link` field set to `link` (a copy), or without one when auth.json is not a link. */
export function withLink<T extends { link?: LinkInfo }>(r: T, link: LinkInfo | undefined): T {
  const { link: _old, ...rest } = r
  return (link ? { ...rest, link: { ...link } } : rest) as T
}
