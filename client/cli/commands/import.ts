import { homedir } from 'node:os'
import type { Command } from 'commander'
import { RpcError } from '../../../protocol/errors.js'
import { makeCli, UsageError, type Cli, type GlobalOptions } from '../context.js'
import { defaultLegacyPath, readLegacyFile } from '../legacy-import.js'
import { printJson, table } from '../output.js'
import type { Action } from '../program.js'
import { describeSync } from './codex.js'

interface Imported {
  index: number
  email?: string
  alias?: string
  ok: boolean
  error?: string
}

async function importLegacy(cli: Cli, path: string): Promise<Imported[]> {
  const entries = await readLegacyFile(path)
  const results: Imported[] = []
  // One by one: each goes through identity matching, and one bad entry does not stop the rest.
  for (const e of entries) {
    if (!e.tokens) {
      results.push({ index: e.index, email: e.email, ok: false, error: 'no access/refresh token in this entry' })
      continue
    }
    try {
      const view = await cli.change('accounts.add', e.tokens)
      results.push({ index: e.index, email: view.email ?? e.email, alias: view.alias, ok: true })
    } catch (err) {
      if (!(err instanceof RpcError)) throw err
      results.push({ index: e.index, email: e.email, ok: false, error: err.message })
    }
  }
  return results
}

export function registerImport(program: Command, run: Action): void {
  program
    .command('import')
    .description(
      "bring in accounts from elsewhere: the Codex CLI's auth.json (--codex) or the old auto_login.py store (--legacy)",
    )
    .option('--codex', "adopt what Codex's auth.json holds now")
    .option('--legacy [path]', `import the old auto_login.py store (default ${defaultLegacyPath('~')})`)
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions & { codex?: boolean; legacy?: string | boolean }) => {
        const cli = makeCli(opts)
        if (Boolean(opts.codex) === (opts.legacy !== undefined))
          throw new UsageError('say what to import: --codex or --legacy [path]')
        if (opts.codex) {
          const r = await cli.call('codex.sync', {})
          if (r.action === 'invalid') process.exitCode = 1
          if (cli.out.json) return printJson(cli.out, r)
          cli.out.print(describeSync(r))
          return
        }
        const path = typeof opts.legacy === 'string' ? opts.legacy : defaultLegacyPath(homedir())
        const results = await importLegacy(cli, path)
        if (results.some((r) => !r.ok)) process.exitCode = 1
        if (cli.out.json) return printJson(cli.out, { path, results })
        if (results.length === 0) return cli.out.print(`${path} holds no accounts`)
        const rows = [['#', 'EMAIL', 'ALIAS', 'RESULT']]
        for (const r of results)
          rows.push([String(r.index + 1), r.email ?? '-', r.alias ?? '-', r.ok ? 'imported' : `skipped: ${r.error}`])
        cli.out.print(table(rows))
        const n = results.filter((r) => r.ok).length
        cli.out.print(`${n} of ${results.length} account(s) imported from ${path}. The file itself is left as it was.`)
      }),
    )
}
