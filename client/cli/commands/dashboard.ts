import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { makeCli, type GlobalOptions } from '../context.js'
import { openUrl, type OpenUrlDeps } from '../open-url.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'

export function registerDashboard(
  program: Command,
  run: Action,
  deps: OpenUrlDeps = { spawn, platform: process.platform },
): void {
  program
    .command('dashboard')
    .description('open the web dashboard (starts it in the daemon if it is off) with a one-time sign-in link')
    .option('--no-open', 'print the link instead of opening a browser')
    .option('--json', 'machine-readable output: {url, origin, expiresAt, opened}')
    .addHelpText(
      'after',
      '\nThe link signs one browser in once and expires after 5 minutes; run the command again for a new one.\n' +
        'The dashboard listens on 127.0.0.1 only (setting dashboardPort, default 3434; 0 picks a free port).',
    )
    .action(
      run(async (opts: GlobalOptions & { open: boolean }) => {
        const cli = makeCli(opts)
        const link = await cli.call('dashboard.open', {})
        const opened = opts.open ? await openUrl(link.url, deps) : false
        if (cli.out.json) return printJson(cli.out, { ...link, opened })
        if (opened) {
          cli.out.print(`Opened the dashboard (${link.origin}) in your browser.`)
          return
        }
        if (opts.open) cli.out.error('note: no browser opener (xdg-open/open) found; open this link yourself:')
        cli.out.print(link.url)
        cli.out.print(`(works once, until ${new Date(link.expiresAt).toLocaleTimeString()})`)
      }),
    )
}
