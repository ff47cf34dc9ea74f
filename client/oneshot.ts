import { spawn } from 'node:child_process'
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCRequest } from 'json-rpc-2.0'
import { RpcError } from '../protocol/errors.js'
import { homedir } from 'node:os'
import { childEnv, SECRET_ENV } from '../protocol/child-env.js'
import { encodeFrame } from '../protocol/framing.js'
import type { OneshotMethod, ParamsOf, ResultOf } from '../protocol/methods.js'
import { daemonCommand } from './launcher.js'

export type { OneshotMethod } from '../protocol/methods.js'

export class OneshotError extends Error {}

/** The store was locked by a daemon (one that started after we found none): ask it through the socket. */
export class OneshotLockedError extends OneshotError {}

/** Kept equal to the daemon's ONESHOT_EXIT_LOCKED (client/ cannot import daemon/; a test checks both). */
export const ONESHOT_EXIT_LOCKED = 75

function pick(env: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of keys) {
    const v = env[k]
    if (v !== undefined) out[k] = v
  }
  return out
}

/** Runs the daemon binary with `--oneshot`: one request line in, one answer line out. */
async function exchange(line: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { command, args } = daemonCommand()
  // A minimal environment (no NODE_OPTIONS hook from the project dir), but the passphrase: the one-shot opens the store.
  const childEnvWithSecret = { ...childEnv(env), ...pick(env, SECRET_ENV) }
  const child = spawn(command, [...args, '--oneshot'], {
    env: childEnvWithSecret,
    cwd: env.HOME || homedir(),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  child.stdin.end(line)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) {
    const why = err.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`
    const Err = code === ONESHOT_EXIT_LOCKED ? OneshotLockedError : OneshotError
    throw new Err(`could not change the store without a daemon: ${why.replace(/^error:\s*/, '')}`)
  }
  return out
}

/**
 * Applies one account change with no daemon running: the daemon binary takes
 * the store lock, answers the request with its own handlers, and exits. So the
 * store keeps one writer at a time and the client never opens it itself. The
 * envelope is json-rpc-2.0's, typed by the method table, as on the socket.
 */
export async function callOneshot<M extends OneshotMethod>(
  method: M,
  params: ParamsOf<M>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResultOf<M>> {
  // The library turns a failed send into a code-0 JSON-RPC error; keep the real one.
  let sendFailure: Error | undefined
  const rpc: JSONRPCClient = new JSONRPCClient(async (request: JSONRPCRequest) => {
    try {
      rpc.receive(JSON.parse(await exchange(encodeFrame(request), env)) as Parameters<JSONRPCClient['receive']>[0])
    } catch (err) {
      sendFailure =
        err instanceof SyntaxError
          ? new OneshotError('could not change the store without a daemon: the daemon binary gave no answer')
          : err instanceof Error
            ? err
            : new Error(String(err))
      throw sendFailure
    }
  })
  try {
    return (await rpc.request(method, params)) as ResultOf<M>
  } catch (err) {
    if (sendFailure) throw sendFailure
    if (err instanceof JSONRPCErrorException) throw new RpcError(err.code, err.message, err.data)
    throw err
  }
}
