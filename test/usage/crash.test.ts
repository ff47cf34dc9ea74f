import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { usageFilePath } from '../../daemon/usage/file.js'
import { USAGE_WRITE_DELAY_MS } from '../../daemon/usage/history.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'
import { tokensAt } from '../rotation/support.js'

let daemon: SpawnedDaemon | undefined
let dirs: TestDirs | undefined
afterEach(async () => {
  if (daemon && daemon.proc.exitCode === null && daemon.proc.signalCode === null) daemon.proc.kill('SIGKILL')
  await daemon?.exited
  if (dirs) cleanup(dirs)
})

function requestsOnDisk(file: string): number {
  if (!existsSync(file)) return 0
  const stored = JSON.parse(readFileSync(file, 'utf8')) as {
    accounts: Record<string, { hours: { requests: number }[] }>
  }
  return Object.values(stored.accounts)
    .flatMap((a) => a.hours)
    .reduce((s, h) => s + h.requests, 0)
}

/** The daemon writes on its own schedule: wait (bounded) until the file shows what was reported. */
async function untilOnDisk(file: string, n: number): Promise<void> {
  const deadline = Date.now() + 10 * USAGE_WRITE_DELAY_MS
  while (requestsOnDisk(file) < n) {
    if (Date.now() > deadline) throw new Error(`the usage file never held ${n} requests`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('the usage file under kill -9', () => {
  it('stays loadable and loses at most what came after its last write', async () => {
    dirs = makeDirs()
    daemon = await startDaemon(dirs)
    let rpc = await daemon.connect()
    await rpc.call('accounts.add', { ...tokensAt({ now: Date.now }, 1), alias: 'a' })
    for (let i = 0; i < 20; i++)
      await rpc.call('token.report', { alias: 'a', status: 200, usage: { inputTokens: 10, outputTokens: 1 } })
    const file = usageFilePath(dirs.storeFile)
    await untilOnDisk(file, 20)
    // These land inside the next coalescing interval; the kill comes before it ends.
    await Promise.all(
      Array.from({ length: 7 }, () =>
        rpc.call('token.report', { alias: 'a', status: 200, usage: { inputTokens: 10, outputTokens: 1 } }),
      ),
    )
    rpc.close()
    daemon.proc.kill('SIGKILL')
    await daemon.exited

    daemon = await startDaemon(dirs)
    rpc = await daemon.connect()
    const got = await rpc.call('usage.get', { since: 0 })
    rpc.close()
    const requests = got.accounts[0].totals.requests
    expect(requests).toBeGreaterThanOrEqual(20)
    expect(requests).toBeLessThanOrEqual(27)
    expect(got.accounts[0].totals.inputTokens).toBe(requests * 10)
    expect(readdirSync(dirname(file)).filter((n) => n.includes('.corrupt-'))).toEqual([])
  })

  it('a clean stop writes what the last interval held', async () => {
    dirs = makeDirs()
    daemon = await startDaemon(dirs)
    let rpc = await daemon.connect()
    await rpc.call('accounts.add', { ...tokensAt({ now: Date.now }, 1), alias: 'a' })
    for (let i = 0; i < 3; i++) await rpc.call('token.report', { alias: 'a', status: 200 })
    rpc.close()
    expect(await daemon.stop()).toBe(0)
    daemon = await startDaemon(dirs)
    rpc = await daemon.connect()
    expect((await rpc.call('usage.get', { since: 0 })).accounts[0].totals.requests).toBe(3)
    rpc.close()
  })
})
