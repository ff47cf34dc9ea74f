import type { Command } from 'commander'
import { probeDaemon, stopViaSocket } from '../../launcher.js'
import { completionScript } from '../completion.js'
import { makeCli, UsageError, type GlobalOptions } from '../context.js'
import { printJson, table } from '../output.js'
import type { Action } from '../program.js'
import { isShell, SHELLS, type Shell } from '../service/completion-files.js'
import { machineServiceEnv } from '../service/env.js'
import { installService, ManagerUnavailableError, type InstallResult } from '../service/install.js'
import { serviceStatus } from '../service/status.js'
import { uninstallService } from '../service/uninstall.js'

interface InstallFlags extends GlobalOptions {
  passphraseFile?: string
  start?: boolean
  completions?: string | boolean
}

function shellsFrom(flag: string | boolean | undefined): Shell[] {
  if (flag === undefined || flag === false) return []
  if (flag === true) return [...SHELLS]
  const list = flag.split(',').map((s) => s.trim())
  for (const s of list) if (!isShell(s)) throw new UsageError(`--completions: unknown shell "${s}" (bash, zsh, fish)`)
  return list as Shell[]
}

function describe(result: InstallResult): string {
  const lines = result.files.map(
    (f) => `${f.action.padEnd(9)} ${f.path}${f.diff ? `\n${f.diff.map((d) => `    ${d}`).join('\n')}` : ''}`,
  )
  return lines.join('\n')
}

export function registerService(program: Command, run: Action): void {
  const service = program
    .command('service')
    .description('run the daemon under the service manager (systemd user units on Linux, a LaunchAgent on macOS)')

  service
    .command('install')
    .description('write the service (and socket) units, enable them and start the daemon; re-run to update')
    .option('--passphrase-file <file>', 'the service reads the store passphrase from this file (0600)')
    .option('--no-start', 'only write the files (and reload systemd); do not enable or start anything')
    .option('--completions [shells]', 'also install shell completions (comma list of bash,zsh,fish; default all)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: InstallFlags) => {
        const cli = makeCli(opts)
        const shells = shellsFrom(opts.completions)
        const env = machineServiceEnv()
        let result: InstallResult
        try {
          result = await installService(env, {
            passphraseFile: opts.passphraseFile,
            noStart: opts.start === false,
            completions: shells,
            completionScript: (shell) => completionScript(program, shell),
            stopUnmanaged: async () => {
              if (!(await probeDaemon(cli.socketPath))) return false
              await stopViaSocket(cli.socketPath)
              return true
            },
          })
        } catch (err) {
          if (!(err instanceof ManagerUnavailableError)) throw err
          const message =
            `the unit files are written, but the service manager could not be reached: ${err.message}\n` +
            'With no user session (no `systemctl --user`; e.g. ssh without a login session, containers), ' +
            'enable lingering (`loginctl enable-linger $USER`) and log in again, then re-run `opencode-multi-auth service install`; ' +
            'or run the daemon without a service: `opencode-multi-auth daemon start`.'
          process.exitCode = 1
          if (cli.out.json)
            return printJson(cli.out, { ...err.result, error: { name: 'SERVICE_MANAGER_UNAVAILABLE', message } })
          cli.out.print(describe(err.result))
          cli.out.error(`error: ${message}`)
          return
        }
        if (cli.out.json) return printJson(cli.out, result)
        cli.out.print(describe(result))
        cli.out.print(
          result.started
            ? `service ${result.manager === 'systemd' ? 'enabled and started (socket activation)' : 'loaded'}; it starts at login`
            : 'files written; not started (--no-start)',
        )
      }),
    )

  service
    .command('uninstall')
    .description('stop and disable the service, and remove exactly the files install wrote')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const result = await uninstallService(machineServiceEnv())
        if (cli.out.json) return printJson(cli.out, result)
        for (const f of result.removed) cli.out.print(`removed   ${f}`)
        for (const w of result.warnings) cli.out.error(`warning: ${w}`)
        if (result.removed.length === 0) cli.out.print('nothing was installed')
      }),
    )

  service
    .command('status')
    .description('show whether the service is installed, current, enabled and active (and its systemd exposure score)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const status = await serviceStatus(machineServiceEnv())
        if (cli.out.json) return printJson(cli.out, status)
        const yes = (b: boolean | undefined): string => (b === undefined ? 'unknown' : b ? 'yes' : 'no')
        cli.out.print(
          table([
            ['manager', status.manager],
            ['installed', yes(status.installed)],
            ...status.files.map((f) => [
              '  file',
              `${f.path}${f.present ? (f.current ? '' : ' (differs from what install writes now)') : ' (missing)'}`,
            ]),
            ['enabled', yes(status.enabled)],
            ['active', yes(status.active)],
            ...(status.exposure !== undefined ? [['exposure', `${status.exposure} (systemd-analyze security)`]] : []),
            ...(status.managerError ? [['manager error', status.managerError]] : []),
          ]),
        )
      }),
    )
}
