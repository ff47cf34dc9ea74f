import type { Command } from 'commander'
import { parseDuration } from '../duration.js'
import { makeCli, UsageError, type GlobalOptions } from '../context.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'
import { accountRunwayWords, poolRunwayWords, sparklines, usageCsv, usageTable } from '../usage-format.js'

const WEEK_MS = 7 * 24 * 3_600_000

interface UsageOptions extends GlobalOptions {
  since?: string
  by?: string
  csv?: boolean
}

export function registerUsage(program: Command, run: Action): void {
  program
    .command('usage [alias]')
    .description('what each account used (requests, tokens, 429s), its limit windows and runway')
    .option('--since <duration>', 'how far back: 24h, 7d, 90d (default 7d)', '7d')
    .option('--by <bucket>', 'hour or day', 'hour')
    .option('--json', 'machine-readable output')
    .option('--csv', 'one row per account and bucket, for spreadsheets')
    .action(
      run(async (alias: string | undefined, opts: UsageOptions) => {
        const ms = parseDuration(opts.since ?? '7d')
        if (ms === undefined) throw new UsageError(`--since takes a duration such as 24h or 7d, not ${opts.since}`)
        if (opts.by !== 'hour' && opts.by !== 'day') throw new UsageError(`--by takes hour or day, not ${opts.by}`)
        if (opts.json && opts.csv) throw new UsageError('choose one of --json and --csv')
        const cli = makeCli(opts)
        const since = Math.max(0, Date.now() - ms)
        const result = await cli.call('usage.get', { since, bucket: opts.by, ...(alias ? { alias } : {}) })
        if (opts.csv) return void process.stdout.write(usageCsv(result))
        if (cli.out.json) return printJson(cli.out, result)
        if (result.accounts.length === 0) return cli.out.print('no accounts yet')
        // The sparklines always show the last 24 h and 7 d, whatever --since asks for.
        const recent =
          opts.by === 'hour' && ms >= WEEK_MS
            ? result
            : await cli.call('usage.get', { since: Date.now() - WEEK_MS, bucket: 'hour', ...(alias ? { alias } : {}) })
        cli.out.print(`Usage since ${new Date(result.since).toISOString().slice(0, 16).replace('T', ' ')} UTC`)
        cli.out.print(usageTable(result))
        if (result.bucketsTruncated)
          cli.out.error('note: too many buckets for one answer; ask --by day or for one alias')
        cli.out.print('')
        cli.out.print(sparklines(recent.accounts, recent.now))
        cli.out.print('')
        cli.out.print('Runway:')
        for (const a of result.accounts) cli.out.print(`  ${a.alias}: ${accountRunwayWords(a.runway, result.now)}`)
        cli.out.print(`  pool: ${poolRunwayWords(result.pool.runway, result.now)}`)
      }),
    )
}
