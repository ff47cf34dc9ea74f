/**
 * `opencode-multi-auth codex setup [--undo] [--dry-run]`: points the Codex CLI at the
 * daemon's gateway (docs/codex.md), so a running Codex moves to the next account on a
 * usage limit. It turns the gateway on (setting `gatewayEnabled`), then edits
 * `$CODEX_HOME/config.toml` in marked blocks (client/cli/codex-config.ts), after a backup.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import * as paths from '../../../protocol/paths.js'
import { applySetup, hasSetup, topLevelString, undoSetup } from '../codex-config.js'
import { makeCli, UsageError, type Cli, type GlobalOptions } from '../context.js'
import { printJson } from '../output.js'
import type { Action } from '../program.js'

interface SetupOpts extends GlobalOptions {
  undo?: boolean
  dryRun?: boolean
}

function codexHome(env: Record<string, string | undefined>): string {
  return env.CODEX_HOME || join(env.HOME || homedir(), '.codex')
}

/** Written atomically (temp + rename) with the mode the file should have. */
function writeFileAtomic(file: string, text: string, mode: number): void {
  const tmp = join(dirname(file), `.config.toml.${process.pid}.tmp`)
  writeFileSync(tmp, text, { mode })
  chmodSync(tmp, mode)
  renameSync(tmp, file)
}

const KEYRING_NOTE =
  'Codex keeps its sign-in in the system keyring (cli_auth_credentials_store = "%s"): there is no ' +
  'auth.json for opencode-multi-auth to adopt or write back, so `codex use` and the auth.json sync do nothing for it. ' +
  'The gateway does not need it: Codex presents only the gateway secret, and the daemon picks the account.'

async function gatewayUrl(cli: Cli): Promise<string> {
  const settings = await cli.call('settings.get', {})
  if (settings.gatewayPort === 0)
    throw new UsageError(
      'gatewayPort is 0 (a new port at each start): set a fixed one first, e.g. `opencode-multi-auth settings set gatewayPort=14555`',
    )
  if (!settings.gatewayEnabled) await cli.call('settings.update', { gatewayEnabled: true })
  const status = await cli.call('gateway.status', {})
  if (!status.url)
    throw new Error(
      `the daemon could not start the gateway${status.lastError ? `: ${status.lastError.message}` : ''}; see \`opencode-multi-auth status\``,
    )
  return status.url
}

export function registerCodexSetup(codex: Command, run: Action): void {
  codex
    .command('setup')
    .description("point the Codex CLI at the daemon's gateway, so Codex moves to another account on a usage limit")
    .option('--undo', "put Codex's config.toml back as it was before setup")
    .option('--dry-run', 'print the config.toml setup would write, change nothing')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: SetupOpts) => {
        const cli = makeCli(opts)
        const env = process.env
        const file = join(codexHome(env), 'config.toml')
        const backup = `${file}.before-opencode-multi-auth`
        const exists = existsSync(file)
        const before = exists ? readFileSync(file, 'utf8') : ''
        const mode = exists ? statSync(file).mode & 0o777 : 0o600

        if (opts.undo) {
          if (!hasSetup(before)) {
            if (cli.out.json) return printJson(cli.out, { file, changed: false })
            return cli.out.print(`${file} has no opencode-multi-auth setup; nothing to undo`)
          }
          const after = undoSetup(before)
          if (!opts.dryRun) writeFileAtomic(file, after, mode)
          if (cli.out.json)
            return printJson(cli.out, {
              file,
              changed: true,
              dryRun: Boolean(opts.dryRun),
              text: opts.dryRun ? after : undefined,
            })
          if (opts.dryRun) return cli.out.print(after)
          cli.out.print(
            `Codex's config.toml is back as it was before setup (${file}); restart Codex to use its own provider again.`,
          )
          cli.out.print(
            'The gateway stays on for now; turn it off with `opencode-multi-auth settings set gatewayEnabled=false`.',
          )
          return
        }

        const url = await gatewayUrl(cli)
        const secretFile = paths.gatewaySecretFile({ env, home: env.HOME || homedir() })
        const secret = readFileSync(secretFile, 'utf8').trim()
        const after = applySetup(before, { url, secret })
        const store = topLevelString(before, 'cli_auth_credentials_store')
        const notes: string[] = []
        if (store === 'keyring' || store === 'auto') notes.push(KEYRING_NOTE.replace('%s', store))
        notes.push(
          'Sessions you made before setup were recorded under your previous provider: `codex resume` does not list them ' +
            'while setup is in place, and Codex refuses to resume them under another provider. `codex setup --undo` brings them back.',
          'If you use HTTPS_PROXY or HTTP_PROXY, set NO_PROXY=127.0.0.1,localhost,::1 for Codex, or the proxy may swallow the loopback calls.',
        )
        if (opts.dryRun) {
          if (cli.out.json)
            return printJson(cli.out, {
              file,
              url,
              dryRun: true,
              text: after.replace(secret, '<gateway secret>'),
              notes,
            })
          cli.out.print(after.replace(secret, '<gateway secret>'))
          for (const n of notes) cli.out.error(`note: ${n}`)
          return
        }
        if (exists && !hasSetup(before)) copyFileSync(file, backup)
        // The file now holds the gateway secret: only its owner may read it.
        if (after !== before) writeFileAtomic(file, after, 0o600)
        if (cli.out.json)
          return printJson(cli.out, {
            file,
            url,
            changed: after !== before,
            backup: existsSync(backup) ? backup : undefined,
            notes,
          })
        cli.out.print(
          `${after === before ? 'Already set up' : 'Set up'}: Codex now uses the gateway at ${url} (${file}).`,
        )
        if (existsSync(backup)) cli.out.print(`Backup of your config.toml before setup: ${backup}`)
        cli.out.print('Restart Codex to use it. Undo with `opencode-multi-auth codex setup --undo`.')
        for (const n of notes) cli.out.print(`Note: ${n}`)
      }),
    )
}
