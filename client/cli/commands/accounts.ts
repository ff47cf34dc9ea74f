import type { Command } from 'commander'
import type { AccountView } from '../../../protocol/schemas.js'
import { makeCli, UsageError, type GlobalOptions } from '../context.js'
import { paint, printJson, table, when, type Out } from '../output.js'
import type { Action } from '../program.js'
import { readTokensFromStdin } from '../stdin-tokens.js'

function healthCell(out: Out, a: AccountView): string {
  const style = a.health === 'ok' ? 'green' : a.health === 'auth_invalid' || a.health === 'disabled' ? 'red' : 'yellow'
  return paint(out, style, a.health)
}

function pct(v: number | undefined): string {
  return v === undefined ? '-' : `${Math.round(v)}%`
}

export function accountsTable(out: Out, accounts: AccountView[], activeAlias: string | null): string {
  const rows = [['', 'ALIAS', 'EMAIL', 'PLAN', 'HEALTH', 'UNTIL', '5H LEFT', 'WEEK LEFT', 'LIMITS', 'USED', 'REASON']]
  for (const a of accounts) {
    rows.push([
      a.alias === activeAlias ? '*' : '',
      a.alias,
      a.email ?? '-',
      a.planType ?? '-',
      healthCell(out, a),
      when(a.until),
      pct(a.limits.fiveHour?.remainingPercent),
      pct(a.limits.weekly?.remainingPercent),
      a.limits.confidence,
      String(a.usageCount),
      a.health === 'ok' ? '' : (a.reason ?? ''),
    ])
  }
  return table(rows)
}

export function registerAccounts(program: Command, run: Action): void {
  program
    .command('list')
    .description('list accounts (never shows tokens)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const [{ accounts }, status] = await Promise.all([cli.call('accounts.list', {}), cli.call('daemon.status', {})])
        if (cli.out.json) return printJson(cli.out, { accounts })
        cli.out.print(
          accounts.length
            ? accountsTable(cli.out, accounts, status.activeAlias)
            : 'no accounts yet: add one with `opencode-multi-auth add-tokens`',
        )
      }),
    )

  program
    .command('add-tokens [alias]')
    .description(
      'add or update an account from tokens given as JSON on stdin: {accessToken, refreshToken, idToken?} (Codex auth.json also accepted)',
    )
    .option('--json', 'machine-readable output')
    .action(
      run(async (alias: string | undefined, opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const tokens = await readTokensFromStdin()
        const view = await cli.change('accounts.add', { ...tokens, ...(alias ? { alias } : {}) })
        if (cli.out.json) return printJson(cli.out, view)
        cli.out.print(`account ${view.alias}${view.email ? ` (${view.email})` : ''} saved`)
      }),
    )

  program
    .command('remove <alias>')
    .description('remove an account from the store')
    .option('--json', 'machine-readable output')
    .action(
      run(async (alias: string, opts: GlobalOptions) => {
        const cli = makeCli(opts)
        await cli.change('accounts.remove', { alias })
        if (cli.out.json) return printJson(cli.out, { ok: true, alias })
        cli.out.print(`account ${alias} removed`)
      }),
    )

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    program
      .command(`${name} <alias>`)
      .description(
        enabled
          ? 'let rotation use this account again'
          : 'keep rotation away from this account (not the last enabled one)',
      )
      .option('--json', 'machine-readable output')
      .action(
        run(async (alias: string, opts: GlobalOptions) => {
          const cli = makeCli(opts)
          const view = await cli.change('accounts.setEnabled', { alias, enabled })
          if (cli.out.json) return printJson(cli.out, view)
          cli.out.print(`account ${alias} ${enabled ? 'enabled' : 'disabled'}`)
        }),
      )
  }

  program
    .command('tag <alias> [tags...]')
    .description("set an account's tags (none clears them); --notes and --weight set the rest")
    .option('--notes <text>', 'free-form notes')
    .option('--weight <w>', 'weight for weighted-round-robin, in (0,1]; "none" clears it')
    .option('--json', 'machine-readable output')
    .action(
      run(async (alias: string, tags: string[], opts: GlobalOptions & { notes?: string; weight?: string }) => {
        const cli = makeCli(opts)
        let weight: number | null | undefined
        if (opts.weight !== undefined) {
          weight = opts.weight === 'none' ? null : Number(opts.weight)
          if (weight !== null && !Number.isFinite(weight))
            throw new UsageError(`--weight must be a number, got ${opts.weight}`)
        }
        const view = await cli.change('accounts.update', { alias, tags, notes: opts.notes, weight })
        if (cli.out.json) return printJson(cli.out, view)
        cli.out.print(`account ${alias} updated`)
      }),
    )
}
