import { spawn } from 'node:child_process'
import { RpcError } from '../protocol/errors.js'
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js'
import { homedir } from 'node:os'
import { childEnv, SECRET_ENV } from '../protocol/child-env.js'
import { daemonCommand } from './launcher.js'

function pick(env: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of keys) {
    const v = env[k]
    if (v !== undefined) out[k] = v
  }
  return out
}

/** The account changes the daemon binary applies on its own with `--oneshot`. */
export type OneshotMethod = 'accounts.add' | 'accounts.remove' | 'accounts.setEnabled' | 'accounts.update'

export class OneshotError extends Error {}

/** The store was locked by a daemon (one that started after we found none): ask it through the socket. */
export class OneshotLockedError extends OneshotError {}

/** Kept equal to the daemon's ONESHOT_EXIT_LOCKED (client/ cannot import daemon/; a test checks both). */
export const ONESHOT_EXIT_LOCKED = 75

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
  child.stdin.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n')
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) {
    const why = err.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`
    const Err = code === ONESHOT_EXIT_LOCKED ? OneshotLockedError : OneshotError
    throw new Err(`could not change the store without a daemon: ${why.replace(/^error:\s*/, '')}`)
  }
  const answer = JSON.parse(out) as { result?: ResultOf<M>; error?: { code: number; message: string; data?: unknown } }
  if (answer.error) throw new RpcError(answer.error.code, answer.error.message, answer.error.data)
  return answer.result as ResultOf<M>
}
