import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { childEnv } from '../../../protocol/child-env.js'
import * as paths from '../../../protocol/paths.js'
import { PACKAGE_VERSION } from '../../../protocol/version.js'
import { probeDaemon, startDaemon, stopViaSocket } from '../../launcher.js'
import { DaemonNotRunningError } from '../../rpc/errors.js'
import { spawnRunner } from '../../run-command.js'
import { installedTarget, managerRestart, managerStop, type ServiceTarget } from '../../service-manager.js'
import { makeCli, type Cli, type GlobalOptions } from '../context.js'
import { printJson, table, when } from '../output.js'
import type { Action } from '../program.js'

type StartFlags = GlobalOptions & { passphraseFile?: string }

function service(cli: Cli): ServiceTarget | undefined {
  return installedTarget({ ...cli.pathEnv, platform: process.platform, uid: process.getuid?.() ?? 0 })
}

function runner(cli: Cli): ReturnType<typeof spawnRunner> {
  return spawnRunner(spawn, childEnv(cli.pathEnv.env), cli.pathEnv.home)
}

async function start(cli: Cli, opts: StartFlags): Promise<Awaited<ReturnType<typeof startDaemon>>> {
  return startDaemon({
    socketPath: cli.socketPath,
    stderrFile: `${paths.stateDir(cli.pathEnv)}/daemon.stderr`,
    env: opts.socket ? { ...process.env, OPENCODE_MULTI_AUTH_SOCKET: opts.socket } : process.env,
    extraArgs: opts.passphraseFile ? ['--passphrase-file', opts.passphraseFile] : [],
  })
}

async function waitGone(socketPath: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline && (await probeDaemon(socketPath))) await new Promise((r) => setTimeout(r, 50))
}

/** Said wherever a daemon's version is shown: a daemon older or newer than this CLI. */
export function skewNote(daemonVersion: string): string | undefined {
  return daemonVersion === PACKAGE_VERSION
    ? undefined
    : `the daemon runs version ${daemonVersion} but this CLI is ${PACKAGE_VERSION}: run \`opencode-multi-auth daemon restart\` so both come from the same install`
}

export function registerDaemon(program: Command, run: Action): void {
  const daemon = program.command('daemon').description('start, stop or inspect the background daemon')

  daemon
    .command('start')
    .description(
      'start the daemon and wait until it answers: through the service manager when `service install` was run, else in the background (never a second one)',
    )
    .option('--json', 'machine-readable output')
    .option('--passphrase-file <file>', 'read the store passphrase from this file')
    .action(
      run(async (opts: StartFlags) => {
        const cli = makeCli(opts)
        const { status, started, via } = await start(cli, opts)
        if (cli.out.json) return printJson(cli.out, { started, via, pid: status.pid, socketPath: status.socketPath })
        cli.out.print(
          started
            ? `daemon started${via && via !== 'spawn' ? ` by ${via}` : ''} (pid ${status.pid}) on ${status.socketPath}`
            : `daemon already running (pid ${status.pid})`,
        )
        const skew = skewNote(status.version)
        if (skew) cli.out.error(`warning: ${skew}`)
      }),
    )

  daemon
    .command('stop')
    .description('stop the daemon (through the service manager when installed, so it is not started again at once)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const status = await probeDaemon(cli.socketPath)
        const target = service(cli)
        if (target) {
          await managerStop(target, runner(cli))
          await waitGone(cli.socketPath)
        } else {
          if (!status) throw new DaemonNotRunningError(cli.socketPath)
          await stopViaSocket(cli.socketPath)
        }
        if (cli.out.json) return printJson(cli.out, { stopped: true, pid: status?.pid, via: target?.kind })
        cli.out.print(
          status
            ? `daemon stopped (pid ${status.pid})${target ? ` by ${target.kind}` : ''}`
            : `${target?.kind} service stopped`,
        )
      }),
    )

  daemon
    .command('restart')
    .description('stop and start the daemon (e.g. after an upgrade: the new version takes over)')
    .option('--json', 'machine-readable output')
    .option('--passphrase-file <file>', 'read the store passphrase from this file')
    .action(
      run(async (opts: StartFlags) => {
        const cli = makeCli(opts)
        const before = await probeDaemon(cli.socketPath)
        const target = service(cli)
        if (target) {
          await managerRestart(target, runner(cli))
          if (before) await waitGone(cli.socketPath, 2_000).catch(() => {})
        } else if (before) await stopViaSocket(cli.socketPath)
        const { status, via } = await start(cli, opts)
        if (cli.out.json)
          return printJson(cli.out, {
            restarted: true,
            previousPid: before?.pid,
            pid: status.pid,
            version: status.version,
            via: target?.kind ?? via,
          })
        cli.out.print(`daemon ${before ? 'restarted' : 'started'} (pid ${status.pid}, version ${status.version})`)
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
        const skew = skewNote(status.version)
        if (cli.out.json)
          return printJson(cli.out, { ...status, cliVersion: PACKAGE_VERSION, ...(skew ? { skew } : {}) })
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
        if (skew) cli.out.error(`warning: ${skew}`)
      }),
    )
}
