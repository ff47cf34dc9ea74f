import type { spawn as nodeSpawn } from 'node:child_process'

export type SpawnFn = typeof nodeSpawn

export interface OpenUrlDeps {
  spawn: SpawnFn
  platform: NodeJS.Platform
}

/** The desktop's "open this" command: `open` on macOS, `xdg-open` elsewhere. */
export function openerFor(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'open' : 'xdg-open'
}

/**
 * Hands a URL to the desktop's opener. Resolves true once the opener started,
 * false when there is none (not installed, no desktop), so the caller prints
 * the link instead. The opener is detached: the browser outlives the CLI.
 */
export function openUrl(url: string, deps: OpenUrlDeps): Promise<boolean> {
  return new Promise((resolve) => {
    let child: ReturnType<SpawnFn>
    try {
      child = deps.spawn(openerFor(deps.platform), [url], { stdio: 'ignore', detached: true })
    } catch {
      return resolve(false)
    }
    child.once('error', () => resolve(false))
    child.once('spawn', () => {
      child.unref()
      resolve(true)
    })
  })
}
