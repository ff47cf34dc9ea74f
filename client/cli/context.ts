import { homedir } from 'node:os'
import { CommanderError } from 'commander'
import * as paths from '../../protocol/paths.js'
import { errorCodeName } from '../../protocol/errors.js'
import { parseErrorData } from '../../protocol/error-data.js'
import type { MethodName, ParamsOf, ResultOf } from '../../protocol/methods.js'
import { callOnce } from '../rpc/client.js'
import { callOneshot, type OneshotMethod } from '../oneshot.js'
import { changeThroughDaemonOrOneshot } from './change.js'
import { RemoteDaemonUnreachableError, usesRemoteDaemon } from '../launcher.js'
import { CallTimeoutError, DaemonNotRunningError, ProtocolSkewError, RpcError } from '../rpc/errors.js'
import { makeOut, printJson, type Out } from './output.js'

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NO_DAEMON: 3 } as const

export class UsageError extends Error {}

export interface GlobalOptions {
  socket?: string
  json?: boolean
}

export interface Cli {
  out: Out
  socketPath: string
  pathEnv: paths.PathEnv
  call<M extends MethodName>(method: M, params: ParamsOf<M>, timeoutMs?: number): Promise<ResultOf<M>>
  /**
   * An account change: through the daemon when it runs, else applied by the daemon
   * binary in one-shot mode under the store lock (a note says so on stderr).
   */
  change<M extends OneshotMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>
}

export function makeCli(opts: GlobalOptions): Cli {
  const pathEnv = { env: process.env, home: homedir() }
  const socketPath = opts.socket ?? paths.socketPath(pathEnv)
  const out = makeOut(Boolean(opts.json))
  return {
    out,
    socketPath,
    pathEnv,
    call: (method, params, timeoutMs) => callOnce({ socketPath, timeoutMs }, method, params, { timeoutMs }),
    change: (method, params) =>
      changeThroughDaemonOrOneshot({
        viaSocket: () => callOnce({ socketPath }, method, params),
        // A machine that uses another's daemon has no store to change here.
        viaOneshot: () =>
          usesRemoteDaemon(pathEnv.env, pathEnv.home)
            ? Promise.reject(new RemoteDaemonUnreachableError(socketPath))
            : callOneshot(method, params, { ...process.env, OPENCODE_MULTI_AUTH_SOCKET: socketPath }),
        noteDirect: () => out.error('note: no daemon is running; the store was changed directly, under its lock'),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      }),
  }
}

/** Maps any failure to a message and an exit code: 1 failed, 2 usage, 3 no daemon. */
export function reportError(out: Out, err: unknown): number {
  const code =
    err instanceof DaemonNotRunningError
      ? EXIT.NO_DAEMON
      : err instanceof UsageError || (err instanceof CommanderError && err.exitCode === 2)
        ? EXIT.USAGE
        : EXIT.FAILED
  const message = err instanceof Error ? err.message : String(err)
  if (out.json) {
    const error: Record<string, unknown> = { message }
    if (err instanceof RpcError) Object.assign(error, { code: err.code, name: errorCodeName(err.code), data: err.data })
    else if (err instanceof DaemonNotRunningError) error.name = 'DAEMON_NOT_RUNNING'
    else if (err instanceof ProtocolSkewError) error.name = 'PROTOCOL_SKEW'
    else if (err instanceof CallTimeoutError) error.name = 'TIMEOUT'
    printJson(out, { error })
  } else {
    out.error(`error: ${message}`)
    const fields = err instanceof RpcError ? parseErrorData('INVALID_PARAMS', err)?.fields : undefined
    for (const f of fields ?? []) out.error(`  ${f.path}: ${f.message}`)
  }
  return code
}
