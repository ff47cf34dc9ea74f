import type { Command } from 'commander'
import { completionScript } from '../completion.js'
import { UsageError } from '../context.js'
import type { Action } from '../program.js'
import { isShell } from '../service/completion-files.js'

export function registerCompletion(program: Command, run: Action): void {
  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (generated from this CLI, so it is always current)')
    .argument('<shell>', 'bash | zsh | fish')
    .action(
      run(async (shell: string) => {
        if (!isShell(shell)) throw new UsageError(`unknown shell "${shell}": bash, zsh or fish`)
        process.stdout.write(completionScript(program, shell))
        await Promise.resolve()
      }),
    )
}
