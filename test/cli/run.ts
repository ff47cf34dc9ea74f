/**
 * Runs the real CLI as a child process (`node --import tsx client/cli/main.ts`),
 * the way a user or a script would, and collects its exit code and output.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CLI_MAIN = fileURLToPath(new URL('../../client/cli/main.ts', import.meta.url))
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

export function cliArgv(args: string[]): string[] {
  return [process.execPath, '--import', TSX, CLI_MAIN, ...args]
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

const running = new Set<ChildProcess>()

/** Kills any CLI still running (afterAll/afterEach). */
export function killStrayClis(): void {
  for (const p of running) p.kill('SIGKILL')
}

export function runCli(
  args: string[],
  opts: { env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  const [command, ...argv] = cliArgv(args)
  const proc = spawn(command, argv, { env: opts.env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(proc)
  let stdout = ''
  let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  proc.stdin.on('error', () => {})
  proc.stdin.end(opts.input ?? '')
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`CLI ${args.join(' ')} did not finish in time:\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 20_000)
    proc.once('close', (code) => {
      clearTimeout(timer)
      running.delete(proc)
      resolve({ code, stdout, stderr })
    })
  })
}

/** stdout parsed as JSON, with the whole result in the message when it is not. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`CLI printed no JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  }
}

/** Gone, or a zombie nobody reaped yet (a detached daemon's parent is long gone). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/** Live daemon processes whose environment points at this socket (Linux /proc). */
export function daemonsOn(socketPath: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      if (!cmdline.includes('daemon/main')) continue
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0')
      if (environ.includes(`OPENCODE_MULTI_AUTH_SOCKET=${socketPath}`) && !processGone(Number(name)))
        pids.push(Number(name))
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids
}
