import { spawn } from 'node:child_process'
import { RpcError } from '../protocol/errors.js'
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js'
import { daemonCommand } from './launcher.js'

/** The account changes the daemon binary applies on its own with `--oneshot`. */
export type OneshotMethod = 'accounts.add' | 'accounts.remove' | 'accounts.setEnabled' | 'accounts.update'

export class OneshotError extends Error {}

/**
 * Applies one account change with no daemon running: the daemon binary takes
 * the store lock, answers the request with its own handlers, and exits. So the
 * store keeps one writer at a time and the client never opens it itself.
 */
export async function callOneshot<M extends OneshotMethod & MethodName>(
  method: M,
  params: ParamsOf<M>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResultOf<M>> {
  const { command, args } = daemonCommand()
  const child = spawn(command, [...args, '--oneshot'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  child.stdin.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n')
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) {
    const why = err.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`
    throw new OneshotError(`could not change the store without a daemon: ${why.replace(/^error:\s*/, '')}`)
  }
  const answer = JSON.parse(out) as { result?: ResultOf<M>; error?: { code: number; message: string; data?: unknown } }
  if (answer.error) throw new RpcError(answer.error.code, answer.error.message, answer.error.data)
  return answer.result as ResultOf<M>
}
