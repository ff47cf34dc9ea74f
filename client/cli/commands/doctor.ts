import { promises as fs } from 'node:fs'
import type { Command } from 'commander'
import { makeCli, type GlobalOptions } from '../context.js'
import { printJson, paint, table } from '../output.js'
import type { Action } from '../program.js'
import { type Check } from '../doctor/check.js'
import { codexChecks } from '../doctor/codex.js'
import { serviceCheck, socketChecks } from '../doctor/daemon.js'
import { clockCheck, passphraseCheck, proxyCheck } from '../doctor/environment.js'
import { pathChecks, storeCheck } from '../doctor/files.js'
import { ServiceUnsupportedError, plan } from '../service/context.js'
import { machineServiceEnv } from '../service/env.js'
import { serviceStatus, type ServiceStatus } from '../service/status.js'

async function service(): Promise<{ status?: ServiceStatus; unsupported?: string; passphraseFile?: string }> {
  const env = machineServiceEnv()
  try {
    const status = await serviceStatus(env)
    // The passphrase file the installed service was given, as its unit says.
    const unit = status.installed ? plan(env).files[0]?.path : undefined
    const text = unit ? await fs.readFile(unit, 'utf8').catch(() => '') : ''
    const passphraseFile = /--passphrase-file(?:<\/string>\s*<string>|\s+)"?([^"<\s]+)/.exec(text)?.[1]
    return { status, passphraseFile }
  } catch (err) {
    if (err instanceof ServiceUnsupportedError) return { unsupported: err.message }
    throw err
  }
}

export function registerDoctor(program: Command, run: Action): void {
  program
    .command('doctor')
    .description('check the setup: paths and modes, daemon, versions, service, store, passphrase, Codex, proxy, clock')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        const { env, home } = cli.pathEnv
        const daemon = await socketChecks(cli.socketPath, env, home)
        const svc = await service()
        const store = await storeCheck(cli.pathEnv)
        const codex = await codexChecks(cli.pathEnv)
        let proxySetting: string | undefined
        if (daemon.status) proxySetting = (await cli.call('settings.get', {}).catch(() => undefined))?.proxy
        const checks: Check[] = [
          ...(await pathChecks(cli.pathEnv, cli.socketPath)),
          ...daemon.checks,
          serviceCheck(svc.status, svc.unsupported),
          store.check,
          passphraseCheck(env, daemon.status?.encrypted ?? store.facts.encrypted, svc.passphraseFile),
          ...codex.checks,
          proxyCheck(env, proxySetting),
          clockCheck([...store.facts.accessTokens, ...codex.facts.tokens], Date.now()),
        ]
        const failed = checks.some((c) => c.level === 'fail')
        if (failed) process.exitCode = 1
        if (cli.out.json) return printJson(cli.out, { ok: !failed, checks })
        const mark = {
          ok: paint(cli.out, 'green', 'ok'),
          warn: paint(cli.out, 'yellow', 'warn'),
          fail: paint(cli.out, 'red', 'FAIL'),
        }
        cli.out.print(
          table(
            checks.flatMap((c) => [
              [mark[c.level], c.name, c.detail],
              ...(c.fix && c.level !== 'ok' ? [['', '', `fix: ${c.fix}`]] : []),
            ]),
          ),
        )
      }),
    )
}
