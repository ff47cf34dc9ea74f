import type { Command } from 'commander'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'
import { accountsTable } from './accounts.js'
import { describeForce } from './use.js'

export function registerStatus(program: Command, run: Action): void {
  program
    .command('status')
    .description("the strategy the daemon uses, force mode, and every account's health and limits")
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const [status, { accounts }, rotation] = await Promise.all([
          cli.call('daemon.status', {}),
          cli.call('accounts.list', {}),
          cli.call('rotation.get', {}),
        ])
        if (cli.out.json) {
          return printJson(cli.out, {
            daemon: status,
            strategy: status.strategy,
            force: status.force,
            order: rotation.order,
            accounts,
          })
        }
        // The strategy is the daemon's answer, never a constant (docs/architecture.md#lessons-from-the-old-plugin).
        cli.out.print(`Strategy: ${status.strategy}`)
        cli.out.print(describeForce(status.force))
        const next = rotation.order
          .filter((o) => o.health === 'ok' && !o.reason)
          .map((o) => (o.tier && o.tier !== 'normal' ? `${o.alias} (${o.tier})` : o.alias))
        cli.out.print(`Next: ${next.length ? next.join(' > ') : 'no account can serve now'}`)
        cli.out.print(`Daemon: pid ${status.pid}, ${status.accountCount} account(s), store ${status.storePath}`)
        cli.out.print('')
        cli.out.print(accounts.length ? accountsTable(cli.out, accounts, status.activeAlias) : 'no accounts yet')
      }),
    )
}
