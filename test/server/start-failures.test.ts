/**
 * A daemon that cannot start says why in one line on stderr and exits 1: no stack
 * trace, no stray "{}" after the message, nothing secret.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_SOCKET_PATH_BYTES } from '../../protocol/paths.js'
import { cleanup, makeDirs, spawnDaemonProcess, type TestDirs } from '../helpers/daemon.js'

const made: TestDirs[] = []
afterAll(() => made.forEach(cleanup))

async function failedStart(
  env: Record<string, string>,
  args: (d: TestDirs) => string[] = () => [],
): Promise<{ code: number | null; lines: string[] }> {
  const dirs = makeDirs(env)
  made.push(dirs)
  const d = spawnDaemonProcess(dirs, args(dirs))
  // One that starts after all must not outlive the test.
  const timer = setTimeout(() => d.proc.kill('SIGKILL'), 20_000)
  const code = await d.exited
  clearTimeout(timer)
  return { code, lines: d.stderr().trim().split('\n') }
}

describe('a daemon that cannot start', () => {
  it('ends its start-failure line with the message, not "{}"', async () => {
    const { code, lines } = await failedStart({
      OPENCODE_MULTI_AUTH_SOCKET: `/tmp/${'s'.repeat(MAX_SOCKET_PATH_BYTES)}`,
    })
    expect(code).toBe(1)
    const last = lines.at(-1) ?? ''
    expect(last).toMatch(/^error: .*socket/i)
    expect(last).not.toMatch(/\{\}\s*$/)
    expect(lines.join('\n')).not.toMatch(/^\s+at /m)
  })

  it('refuses a passphrase file others can read, naming it and the fix', async () => {
    const { code, lines } = await failedStart({}, (d) => {
      const file = join(d.root, 'passphrase')
      writeFileSync(file, 'hunter2-secret\n')
      chmodSync(file, 0o644)
      return ['--passphrase-file', file]
    })
    expect(code).toBe(1)
    const text = lines.join('\n')
    expect(text).toMatch(/passphrase file .*passphrase is readable by others \(mode 0644\)/)
    expect(text).toContain('chmod 600')
    expect(text).not.toContain('hunter2-secret')
    expect(text).not.toMatch(/^\s+at /m)
  })

  it('refuses a ChatGPT backend over plain http off loopback', async () => {
    const { code, lines } = await failedStart({
      OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: 'http://backend.example.com/api',
    })
    expect(code).toBe(1)
    expect(lines.join('\n')).toMatch(/OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL must use https.*backend\.example\.com/)
    expect(lines.join('\n')).not.toMatch(/^\s+at /m)
  })
})
