/**
 * The short variant of `npm run chaos`, inside `npm test`: few trials, fewer
 * frames and connections. Checks the script's invariants (exit 0, nothing
 * broken, every account present, the store loaded after every kill), never
 * its timings or memory figures.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

describe('npm run chaos (short)', () => {
  it('survives kill -9 under load and hostile clients, with every account accounted for', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx/esm',
        'test/chaos/chaos.ts',
        '--trials',
        '3',
        '--frames',
        '500',
        '--connections',
        '300',
        '--json',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>
    expect(result.problems, err).toEqual([])
    expect(code).toBe(0)
    expect(result).toMatchObject({
      killTrials: 3,
      killAccountsMissing: 0,
      killStoreLoadFailures: 0,
      connectionsServed: 256,
      halfOpenAnswered: true,
      sigstopClientTimedOutCleanly: true,
    })
    expect(result.malformedFramesAnswered).toBe(result.malformedFramesSent)
    // Refused connections were told why (a few may be reset before they read it).
    expect(result.connectionsRefusedWithReason as number).toBeGreaterThan(0)
    expect(result.otherUid).not.toBe('CONNECTED')
  }, 180_000)
})
