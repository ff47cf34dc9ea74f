import type { Command } from 'commander'
import { STRATEGIES, type Strategy } from '../../../protocol/schemas.js'
import { makeCli, UsageError, type GlobalOptions } from '../context.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'

const HELP: Record<Strategy, string> = {
  'round-robin': 'a stable cycle over the accounts',
  'least-used': 'the account with the fewest requests first',
  random: 'a random order for every request',
  'weighted-round-robin': 'in proportion to the account weights (settings accountWeights, or `tag --weight`)',
  sticky: 'the same account for a session while it stays healthy',
  'use-up': 'one account until it cannot serve, then the next, in a fixed order',
}

export function registerStrategy(program: Command, run: Action): void {
  program
    .command('strategy [name]')
    .description('show the rotation strategy the daemon uses, or set it')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `\nStrategies:\n${STRATEGIES.map((s) => `  ${s.padEnd(22)}${HELP[s]}`).join('\n')}`)
    .action(
      run(async (name: string | undefined, opts: GlobalOptions) => {
        if (name !== undefined && !(STRATEGIES as readonly string[]).includes(name)) {
          throw new UsageError(`unknown strategy ${JSON.stringify(name)}; choose one of: ${STRATEGIES.join(', ')}`)
        }
        const cli = makeCli(opts)
        const strategy = name
          ? (await cli.call('rotation.setStrategy', { strategy: name as Strategy })).strategy
          : (await cli.call('rotation.get', {})).strategy
        if (cli.out.json) return printJson(cli.out, { strategy })
        cli.out.print(name ? `strategy set to ${strategy}` : strategy)
      }),
    )
}
