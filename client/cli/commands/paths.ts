import type { Command } from 'commander'
import * as paths from '../../../protocol/paths.js'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson, table } from '../output.js'
import type { Action } from '../program.js'

export function registerPaths(program: Command, run: Action): void {
  program
    .command('path')
    .description('show where the store, socket, Codex auth file and log live')
    .option('--json', 'machine-readable output')
    .action(
      run((opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const p = cli.pathEnv
        const result = {
          store: paths.storeFile(p),
          socket: cli.socketPath,
          codexAuth: paths.codexAuthFile(p),
          log: paths.logFile(p),
        }
        if (cli.out.json) printJson(cli.out, result)
        else cli.out.print(table(Object.entries(result)))
        return Promise.resolve()
      }),
    )
}
