import type { PathEnv } from '../../../protocol/paths.js'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

export function isShell(s: string): s is Shell {
  return (SHELLS as readonly string[]).includes(s)
}

/** Where each shell looks for a user's completions without editing its rc file (zsh: add the dir to fpath). */
export function completionFiles({ env, home }: PathEnv): Record<Shell, string> {
  const data = env.XDG_DATA_HOME?.trim() || `${home}/.local/share`
  const config = env.XDG_CONFIG_HOME?.trim() || `${home}/.config`
  return {
    bash: `${data}/bash-completion/completions/opencode-multi-auth`,
    zsh: `${data}/zsh/site-functions/_opencode-multi-auth`,
    fish: `${config}/fish/completions/opencode-multi-auth.fish`,
  }
}
