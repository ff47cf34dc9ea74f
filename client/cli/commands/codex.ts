import type { Command } from 'commander'
import type { CodexSyncResult } from '../../../protocol/methods.js'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'
import { registerCodexSetup } from './codex-setup.js'

export function describeSync(r: CodexSyncResult): string {
  const base = describeAction(r)
  if (!r.link) return base
  const how = r.link.writable
    ? 'refreshed tokens are written through it'
    : `the daemon does not write to it: ${r.link.reason ?? 'not a private file of yours'}`
  return `${base}\nauth.json is a symbolic link to ${r.link.target}; ${how}`
}

function describeAction(r: CodexSyncResult): string {
  const who = r.alias ? ` (account ${r.alias})` : ''
  switch (r.action) {
    case 'missing':
      return `no Codex auth.json at ${r.path}; nothing to import`
    case 'invalid':
      return `Codex auth.json at ${r.path} is not readable: ${r.detail ?? 'invalid'}`
    case 'none':
      return `Codex auth.json at ${r.path} holds no ChatGPT sign-in${r.detail ? ` (${r.detail})` : ''}`
    case 'added':
      return `added a new account from Codex auth.json${who}`
    case 'updated':
      return `updated tokens from Codex auth.json${who}`
    case 'unchanged':
      return `Codex auth.json holds the same tokens as the store${who}`
    case 'older':
      return `Codex auth.json holds older tokens than the store${who}; kept the newer ones${r.detail ? ` (${r.detail})` : ''}`
  }
}

export function registerCodex(program: Command, run: Action): void {
  const codex = program
    .command('codex')
    .description('the Codex CLI: switch its auth.json to an account, read it now, or point Codex at the gateway')

  codex
    .command('use <alias>')
    .description("write this account into Codex's auth.json (Codex picks it up at its next start)")
    .option('--json', 'machine-readable output')
    .action(
      run(async (alias: string, opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const r = await cli.call('codex.use', { alias })
        if (cli.out.json) return printJson(cli.out, r)
        cli.out.print(`Codex now uses ${r.alias} (${r.path}); a running Codex switches when it restarts`)
      }),
    )

  codex
    .command('sync')
    .description("read Codex's auth.json now and adopt newer tokens (same as `import --codex`)")
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const r = await cli.call('codex.sync', {})
        if (r.action === 'invalid') process.exitCode = 1
        if (cli.out.json) return printJson(cli.out, r)
        cli.out.print(describeSync(r))
      }),
    )

  registerCodexSetup(codex, run)
}
