import type { Command } from 'commander'
import type { GatewayStatus } from '../../../protocol/methods.js'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'
import { accountsTable } from './accounts.js'
import { describeForce } from './use.js'
import type { UsageResult } from '../../../protocol/usage.js'
import { accountRunwayWords, poolRunwayWords } from '../usage-format.js'

function runwayOf(u: UsageResult): Record<string, unknown> {
  return { pool: u.pool.runway, accounts: u.accounts.map((a) => ({ alias: a.alias, ...a.runway })) }
}

export function describeGateway(g: GatewayStatus): string {
  if (!g.enabled) return 'Codex gateway: off (turn it on with `opencode-multi-auth codex setup`)'
  const last = g.lastError ? `; last error ${new Date(g.lastError.at).toISOString()}: ${g.lastError.message}` : ''
  return `Codex gateway: ${g.url}, ${g.requests} request(s), ${g.failovers} failover(s)${last}`
}

export function registerStatus(program: Command, run: Action): void {
  program
    .command('status')
    .description("the strategy the daemon uses, force mode, and every account's health and limits")
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const [status, { accounts }, rotation, usage, gateway] = await Promise.all([
          cli.call('daemon.status', {}),
          cli.call('accounts.list', {}),
          cli.call('rotation.get', {}),
          // The runway only; a daemon from before usage history has none to give.
          cli.call('usage.get', { since: Date.now() - 3_600_000 }).catch(() => undefined),
          // An older daemon has no gateway: status still works.
          cli.call('gateway.status', {}).catch(() => undefined),
        ])
        if (cli.out.json) {
          return printJson(cli.out, {
            daemon: status,
            strategy: status.strategy,
            force: status.force,
            order: rotation.order,
            accounts,
            gateway,
            ...(usage ? { runway: runwayOf(usage) } : {}),
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
        if (gateway) cli.out.print(describeGateway(gateway))
        cli.out.print('')
        cli.out.print(accounts.length ? accountsTable(cli.out, accounts, status.activeAlias) : 'no accounts yet')
        if (usage && usage.accounts.length) {
          cli.out.print('')
          cli.out.print('Runway:')
          for (const a of usage.accounts) cli.out.print(`  ${a.alias}: ${accountRunwayWords(a.runway, usage.now)}`)
          cli.out.print(`  pool: ${poolRunwayWords(usage.pool.runway, usage.now)}`)
        }
      }),
    )
}
