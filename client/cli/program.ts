import { Command, CommanderError } from 'commander'
import { EXIT, reportError, type GlobalOptions } from './context.js'
import { makeOut } from './output.js'
import { registerAccounts } from './commands/accounts.js'
import { registerDaemon } from './commands/daemon.js'
import { registerPaths } from './commands/paths.js'
import { registerStatus } from './commands/status.js'
import { registerLogin } from './commands/login.js'
import { registerImport } from './commands/import.js'
import { registerCodex } from './commands/codex.js'
import { registerSettings } from './commands/settings.js'
import { registerStrategy } from './commands/strategy.js'
import { registerUse } from './commands/use.js'
import { registerLimits } from './commands/limits.js'
import { registerUsage } from './commands/usage.js'
import { registerWatch } from './commands/watch.js'
import { registerService } from './commands/service.js'
import { registerCompletion } from './commands/completion.js'
import { registerDoctor } from './commands/doctor.js'
import { registerDashboard } from './commands/dashboard.js'

// Commander hands an action its positional args, then its options, then the command.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Action = <A extends any[]>(fn: (...args: A) => Promise<void>) => (...args: A) => Promise<void>

/** Builds the CLI. Errors set process.exitCode (1 failed, 2 usage, 3 no daemon) instead of exiting mid-flight. */
export function buildProgram(version: string): Command {
  const program = new Command('opencode-multi-auth')
  program
    .description('control the opencode-multi-auth daemon: accounts, rotation, settings')
    .version(version)
    .option('--socket <path>', 'daemon socket (default: $OPENCODE_MULTI_AUTH_SOCKET, $XDG_RUNTIME_DIR/...)')
    .showHelpAfterError()
    .exitOverride()

  const run: Action =
    (fn) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command
      const opts = cmd.optsWithGlobals<GlobalOptions>()
      // Options reach the action as the object before the command: fold the globals in.
      const withGlobals = args.map((a: unknown, i) =>
        i === args.length - 2 && a && typeof a === 'object' ? { ...opts, ...a } : a,
      ) as typeof args
      try {
        await fn(...withGlobals)
      } catch (err) {
        process.exitCode = reportError(makeOut(Boolean(opts.json)), err)
      }
    }

  registerStatus(program, run)
  registerAccounts(program, run)
  registerDaemon(program, run)
  registerPaths(program, run)
  registerLogin(program, run)
  registerImport(program, run)
  registerCodex(program, run)
  registerUse(program, run)
  registerStrategy(program, run)
  registerSettings(program, run)
  registerLimits(program, run)
  registerUsage(program, run)
  registerWatch(program, run)
  registerService(program, run)
  registerDoctor(program, run)
  registerCompletion(program, run)
  registerDashboard(program, run)
  return program
}

export async function runCli(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version)
  for (const c of program.commands) c.exitOverride()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return EXIT.OK
      return EXIT.USAGE
    }
    return reportError(makeOut(argv.includes('--json')), err)
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK
}
