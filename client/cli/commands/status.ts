import type { Command } from 'commander'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson, when } from '../output.js'
import type { Action } from '../program.js'
import { accountsTable } from './accounts.js'

export function registerStatus(program: Command, run: Action): void {
  program
    .command('status')
    .description('the strategy the daemon uses, force mode, and every account\'s health and limits')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const [status, { accounts }] = await Promise.all([cli.call('daemon.status', {}), cli.call('accounts.list', {})])
        if (cli.out.json) return printJson(cli.out, { daemon: status, strategy: status.strategy, force: status.force, accounts })
        // The strategy is the daemon's answer, never a constant (seed fix A2).
        cli.out.print(`Strategy: ${status.strategy}`)
        cli.out.print(
          status.force.active
            ? `Force: ${status.force.alias} until ${status.force.until ? new Date(status.force.until).toISOString() : '-'} (${when(status.force.until ?? undefined)})`
            : 'Force: off',
        )
        cli.out.print(`Daemon: pid ${status.pid}, ${status.accountCount} account(s), store ${status.storePath}`)
        cli.out.print('')
        cli.out.print(accounts.length ? accountsTable(cli.out, accounts, status.activeAlias) : 'no accounts yet')
      }),
    )
}
