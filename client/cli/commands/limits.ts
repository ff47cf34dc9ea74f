import type { Command } from 'commander'
import type { LimitsResult, LimitsQueueState } from '../../../protocol/methods.js'
import type { LimitWindowView } from '../../../protocol/schemas.js'
import { RpcClient } from '../../rpc/client.js'
import { EXIT, makeCli, type Cli, type GlobalOptions } from '../context.js'
import { paint, printJson, table, when, type Out } from '../output.js'
import type { Action } from '../program.js'

/** The daemon probes one account at a time, each bounded by its own timeout: allow for each. */
const WAIT_BASE_MS = 30_000
const WAIT_PER_PROBE_MS = 20_000

type Outcome = { alias: string; ok: boolean; error?: string }

function pct(w: LimitWindowView | undefined): string {
  return w?.remainingPercent === undefined ? '-' : `${Math.round(w.remainingPercent)}%`
}

function limitsTable(out: Out, result: LimitsResult): string {
  const rows = [['ALIAS', '5H LEFT', '5H RESET', 'WEEK LEFT', 'WEEK RESET', 'CONFIDENCE', 'UPDATED', 'ERROR']]
  for (const { alias, limits: l } of result.accounts) {
    const style = l.confidence === 'fresh' ? 'green' : l.confidence === 'error' ? 'red' : 'yellow'
    rows.push([
      alias,
      pct(l.fiveHour),
      when(l.fiveHour?.resetAt),
      pct(l.weekly),
      when(l.weekly?.resetAt),
      paint(out, style, l.confidence),
      when(l.updatedAt),
      l.error ?? '',
    ])
  }
  return table(rows)
}

/**
 * Queues the probes and waits for an outcome per queued alias from 'limits.updated'
 * events (subscribed before asking, so none is missed). Gives up after a bound.
 */
async function refreshAndWait(cli: Cli, alias: string | undefined): Promise<Outcome[]> {
  const client = await RpcClient.connect({ socketPath: cli.socketPath, timeoutMs: 10_000 })
  try {
    const outcomes = new Map<string, Outcome>()
    let wake = (): void => {}
    await client.subscribe(['limits.updated'], (e) => {
      if (e.source !== 'probe') return
      if ('change' in e) {
        for (const a of e.aliases) outcomes.set(a, { alias: a, ok: false, error: 'stopped before it was probed' })
      } else {
        outcomes.set(e.alias, { alias: e.alias, ok: e.ok, ...(e.error !== undefined ? { error: e.error } : {}) })
      }
      wake()
    })
    const state: LimitsQueueState = await client.call('limits.refresh', alias === undefined ? {} : { alias })
    const waiting = new Set([...state.queued, ...(state.running === null ? [] : [state.running])])
    // An alias already probed before this call answered still counts: its event arrived above.
    const done = (): boolean => [...waiting].every((a) => outcomes.has(a))
    const limitMs = WAIT_BASE_MS + WAIT_PER_PROBE_MS * waiting.size
    const finished = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), limitMs)
      wake = () => {
        if (!done()) return
        clearTimeout(timer)
        resolve(true)
      }
      client.onClose(() => {
        clearTimeout(timer)
        resolve(done())
      })
      wake()
    })
    const results = [...waiting].map(
      (a) =>
        outcomes.get(a) ?? {
          alias: a,
          ok: false,
          error: finished ? 'no outcome' : `no outcome within ${Math.round(limitMs / 1000)} s`,
        },
    )
    return results
  } finally {
    client.close()
  }
}

export function registerLimits(program: Command, run: Action): void {
  program
    .command('limits [alias]')
    .description('usage limits per account (5 h and weekly windows); --refresh reads them from ChatGPT first')
    .option('--refresh', 'probe the usage endpoint now and wait for the answers (never starts a usage window)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (alias: string | undefined, opts: GlobalOptions & { refresh?: boolean }) => {
        const cli = makeCli(opts)
        const results = opts.refresh ? await refreshAndWait(cli, alias) : undefined
        const limits = await cli.call('limits.get', alias === undefined ? {} : { alias })
        const failed = results?.filter((r) => !r.ok) ?? []
        if (cli.out.json) printJson(cli.out, results ? { ...limits, results } : limits)
        else {
          cli.out.print(limits.accounts.length ? limitsTable(cli.out, limits) : 'no accounts yet')
          for (const f of failed) cli.out.error(`probe failed for ${f.alias}: ${f.error ?? 'unknown error'}`)
        }
        if (failed.length) process.exitCode = EXIT.FAILED
      }),
    )
}
