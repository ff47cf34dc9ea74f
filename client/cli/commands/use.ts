import type { Command } from 'commander'
import type { ForceState } from '../../../protocol/schemas.js'
import { makeCli, UsageError, type GlobalOptions } from '../context.js'
import { parseDuration } from '../duration.js'
import { printJson, when, type Out } from '../output.js'
import type { Action } from '../program.js'

export function describeForce(force: ForceState): string {
  if (!force.active) return 'Force: off'
  const until = force.until ? `${new Date(force.until).toISOString()} (${when(force.until)})` : '-'
  const restore = force.previousStrategy ? `; \`use --clear\` restores ${force.previousStrategy}` : ''
  return `Force: ${force.alias} until ${until}${restore}`
}

function printForce(out: Out, force: ForceState): void {
  if (out.json) return printJson(out, force)
  out.print(describeForce(force))
}

export function registerUse(program: Command, run: Action): void {
  program
    .command('use [alias]')
    .description('pin every request to one account (force mode, 24 h unless --for); --clear ends the pin')
    .option('--for <duration>', 'how long the pin lasts: 90s, 30m, 2h, 1d, 1h30m (default 24h)')
    .option('--clear', 'end the pin and restore the strategy in effect before it')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nWhile pinned, a request fails with RATE_LIMITED when the account cannot serve (no silent fallback).\n' +
        'The pin ends by itself when it expires, or when the account is removed or disabled.\n\n' +
        'Examples:\n  opencode-multi-auth use work --for 2h\n  opencode-multi-auth use --clear',
    )
    .action(
      run(async (alias: string | undefined, opts: GlobalOptions & { for?: string; clear?: boolean }) => {
        if (opts.clear && (alias || opts.for)) throw new UsageError('use --clear takes no alias and no --for')
        if (!opts.clear && !alias) throw new UsageError('name the account to pin (use <alias>), or pass --clear')
        let ttlMs: number | undefined
        if (opts.for !== undefined) {
          ttlMs = parseDuration(opts.for)
          if (ttlMs === undefined)
            throw new UsageError(`--for wants a duration like 30m, 2h or 1d, got ${JSON.stringify(opts.for)}`)
        }
        const cli = makeCli(opts)
        if (opts.clear) return printForce(cli.out, await cli.call('rotation.clearForce', {}))
        printForce(cli.out, await cli.call('rotation.force', { alias: alias as string, ...(ttlMs ? { ttlMs } : {}) }))
      }),
    )
}
