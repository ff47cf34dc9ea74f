import type { Command } from 'commander'
import * as paths from '../../../protocol/paths.js'
import { probeDaemon, startDaemon } from '../../launcher.js'
import { DaemonNotRunningError } from '../../rpc/errors.js'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson, table, when } from '../output.js'
import type { Action } from '../program.js'

export function registerDaemon(program: Command, run: Action): void {
  const daemon = program.command('daemon').description('start, stop or inspect the background daemon')

  daemon
    .command('start')
    .description('start the daemon in the background and wait until it answers (never starts a second one)')
    .option('--json', 'machine-readable output')
    .option('--passphrase-file <file>', 'read the store passphrase from this file')
    .action(
      run(async (opts: GlobalOptions & { passphraseFile?: string }) => {
        const cli = makeCli(opts)
        const { status, started } = await startDaemon({
          socketPath: cli.socketPath,
          stderrFile: `${paths.stateDir(cli.pathEnv)}/daemon.stderr`,
          env: opts.socket ? { ...process.env, OPENCODE_MULTI_AUTH_SOCKET: opts.socket } : process.env,
          extraArgs: opts.passphraseFile ? ['--passphrase-file', opts.passphraseFile] : [],
        })
        if (cli.out.json) return printJson(cli.out, { started, pid: status.pid, socketPath: status.socketPath })
        cli.out.print(
          started
            ? `daemon started (pid ${status.pid}) on ${status.socketPath}`
            : `daemon already running (pid ${status.pid})`,
        )
      }),
    )

  daemon
    .command('stop')
    .description('ask the daemon to stop gracefully and wait until it is gone')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const status = await probeDaemon(cli.socketPath)
        if (!status) throw new DaemonNotRunningError(cli.socketPath)
        await cli.call('daemon.shutdown', {})
        const deadline = Date.now() + 10_000
        while (Date.now() < deadline && (await probeDaemon(cli.socketPath))) await new Promise((r) => setTimeout(r, 50))
        if (cli.out.json) return printJson(cli.out, { stopped: true, pid: status.pid })
        cli.out.print(`daemon stopped (pid ${status.pid})`)
      }),
    )

  daemon
    .command('status')
    .description('show whether the daemon runs, and where')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const status = await cli.call('daemon.status', {})
        if (cli.out.json) return printJson(cli.out, status)
        cli.out.print(
          table([
            ['pid', String(status.pid)],
            ['version', `${status.version} (protocol ${status.protocolVersion})`],
            ['up since', `${new Date(status.startedAt).toISOString()} (${when(status.startedAt)})`],
            ['socket', status.socketPath],
            ['store', `${status.storePath}${status.encrypted ? ' (encrypted)' : ''}`],
            ['codex auth', status.codexAuthPath],
            ['log', status.logPath],
            ['accounts', String(status.accountCount)],
            ['strategy', status.strategy],
            ...(status.recoveredFrom ? [['recovered from', status.recoveredFrom]] : []),
          ]),
        )
      }),
    )
}
