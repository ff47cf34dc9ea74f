import { spawn } from 'node:child_process'
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCRequest } from 'json-rpc-2.0'
import { RpcError } from '../protocol/errors.js'
import { encodeFrame } from '../protocol/framing.js'
import type { OneshotMethod, ParamsOf, ResultOf } from '../protocol/methods.js'
import { daemonCommand } from './launcher.js'

export type { OneshotMethod } from '../protocol/methods.js'

export class OneshotError extends Error {}

/** Runs the daemon binary with `--oneshot`: one request line in, one answer line out. */
async function exchange(line: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { command, args } = daemonCommand()
  const child = spawn(command, [...args, '--oneshot'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
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
    throw new OneshotError(`could not change the store without a daemon: ${why.replace(/^error:\s*/, '')}`)
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
