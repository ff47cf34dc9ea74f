import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { names, open, tempStore } from './helpers.js'

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-writer.ts')
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TRIALS = 50
const CONCURRENCY = 4

/** Runs the writer until it has completed a random number of updates plus a random few ms, then SIGKILLs it. */
function runAndKill(file: string, passphrase: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx/esm', WRITER, file, passphrase], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const wantLines = 1 + Math.floor(Math.random() * 6)
    let lines = 0
    let stderr = ''
    let armed = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      lines += chunk.split('\n').length - 1
      if (armed || lines < wantLines) return
      armed = true
      setTimeout(() => child.kill('SIGKILL'), 5 + Math.random() * 55)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(lines)
      else reject(new Error(`writer exited on its own (${String(_code)}): ${stderr}`))
    })
  })
}

async function trial(n: number): Promise<void> {
  const { dir, file } = await tempStore()
  const passphrase = n % 2 === 0 ? '' : 'crash passphrase'
  const completed = await runAndKill(file, passphrase)
  // What a restart would do after the stale period; removed here to skip the wait.
  await rm(`${file}.lock`, { recursive: true, force: true })

  const { store, logger } = await open({ file, passphrase: passphrase || undefined })
  expect(store.recoveredFrom, `trial ${n}`).toBeUndefined()
  expect(logger.errors(), `trial ${n}`).toEqual([])
  // The last acknowledged update is durable; at most one more may have landed.
  expect(store.data.rotationIndex, `trial ${n}`).toBeGreaterThanOrEqual(completed)
  expect(store.data.rotationIndex, `trial ${n}`).toBeLessThanOrEqual(completed + 1)
  expect(
    (await names(dir)).filter((f) => f.includes('.tmp-')),
    `trial ${n}`,
  ).toEqual([])
  await store.close()
}

describe('AccountStore: crash safety', () => {
  it(`SIGKILL at a random moment never leaves an invalid store (${TRIALS} trials)`, async () => {
    let next = 0
    let failed = false
    const worker = async () => {
      while (!failed && next < TRIALS) {
        await trial(next++).catch((err: unknown) => {
          failed = true
          throw err
        })
      }
    }
    // Settle every worker before reporting, so no trial outlives the test's cleanup.
    const results = await Promise.allSettled(Array.from({ length: CONCURRENCY }, worker))
    const failure = results.find((r) => r.status === 'rejected')
    if (failure) throw failure.reason
  }, 60_000)
})
