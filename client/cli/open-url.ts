import type { spawn as nodeSpawn } from 'node:child_process'

export type SpawnFn = typeof nodeSpawn

export interface OpenUrlDeps {
  spawn: SpawnFn
  platform: NodeJS.Platform
  /** How long to wait for the opener's verdict before taking "still running" as success. */
  settleMs?: number
}

/** The desktop's "open this" command: `open` on macOS, `xdg-open` elsewhere. */
export function openerFor(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'open' : 'xdg-open'
}

/**
 * Hands a URL to the desktop's opener. Resolves true when the opener took it,
 * false when there is none or it failed (xdg-open exits non-zero without a
 * browser), so the caller prints the link instead. Some openers run the
 * browser in the foreground: one still running after `settleMs` counts as
 * opened, and is left running (detached) when the CLI exits.
 */
export function openUrl(url: string, deps: OpenUrlDeps): Promise<boolean> {
  return new Promise((resolve) => {
    let child: ReturnType<SpawnFn>
    try {
      child = deps.spawn(openerFor(deps.platform), [url], { stdio: 'ignore', detached: true })
    } catch {
      return resolve(false)
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = (opened: boolean): void => {
      if (timer) clearTimeout(timer)
      child.unref()
      resolve(opened)
    }
    child.once('error', () => done(false))
    child.once('exit', (code) => done(code === 0))
    child.once('spawn', () => {
      timer = setTimeout(() => done(true), deps.settleMs ?? 3000)
    })
  })
}
