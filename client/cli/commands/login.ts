import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import type { LoginStart } from '../../../protocol/methods.js'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson, type Out } from '../output.js'
import type { Action } from '../program.js'

/** A browser can be opened only where someone sits at a screen. */
export function isDesktopSession(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform === 'darwin') return true
  return Boolean(env.DISPLAY?.trim() || env.WAYLAND_DISPLAY?.trim())
}

/** Best effort: the URL is printed anyway, so a missing opener is not an error. */
function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open'
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' })
    child.on('error', () => {})
    child.unref()
  } catch {
    // printed below; the user can open it
  }
}

/** Human instructions; with --json they go to stderr so stdout stays one JSON document. */
function showStart(out: Out, start: LoginStart, opened: boolean): void {
  const say = (text: string): void => (out.json ? out.error(text) : out.print(text))
  if (start.method === 'device') {
    say(`On any device, open ${start.url}`)
    say(`and enter the code: ${start.userCode ?? '(none given)'}`)
  } else {
    say(
      opened
        ? 'Your browser should open; if it does not, open this URL:'
        : 'Open this URL in a browser on this machine:',
    )
    say(start.url)
  }
  const minutes = Math.max(1, Math.round((start.expiresAt - Date.now()) / 60_000))
  say(`Waiting for the sign-in (up to ${minutes} min; Ctrl+C stops waiting, and the next \`add\` cancels this one)...`)
}

export function registerLogin(program: Command, run: Action): void {
  program
    .command('add [alias]')
    .description('sign in to a ChatGPT account in a browser (or with --device, by code) and add it')
    .option('--device', 'device-code sign-in, for machines without a browser')
    .option('--no-open', 'do not try to open a browser; only print the URL')
    .option('--json', 'machine-readable output (the account, on stdout; instructions on stderr)')
    .addHelpText(
      'after',
      '\nThe browser sign-in listens on 127.0.0.1:1455 (1457 if busy), like `codex login`.\n' +
        'Over SSH, use --device, or forward the port: ssh -L 1455:127.0.0.1:1455 <host>.',
    )
    .action(
      run(async (alias: string | undefined, opts: GlobalOptions & { device?: boolean; open?: boolean }) => {
        const cli = makeCli(opts)
        const method = opts.device ? 'device' : 'browser'
        const start = await cli.call('login.start', { method, ...(alias ? { alias } : {}) })
        const open = method === 'browser' && opts.open !== false && isDesktopSession()
        if (open) openBrowser(start.url)
        showStart(cli.out, start, open)
        // The daemon ends the sign-in at expiresAt; wait a little longer than that.
        const timeoutMs = Math.max(10_000, start.expiresAt - Date.now() + 30_000)
        const view = await cli.call('login.wait', { loginId: start.loginId }, timeoutMs)
        if (cli.out.json) return printJson(cli.out, view)
        cli.out.print(
          `signed in: account ${view.alias}${view.email ? ` (${view.email})` : ''}${view.planType ? `, plan ${view.planType}` : ''}`,
        )
      }),
    )
}
