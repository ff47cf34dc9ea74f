/** The daemon's log file is private whether the daemon created it or found it. */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../daemon/log/logger.js'

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(ok()).toBe(true)
}

const mode = (p: string): number => statSync(p).mode & 0o777

describe('log file mode', () => {
  let root = ''
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('creates the file 0600', async () => {
    root = mkdtempSync(join(tmpdir(), 'oma-log-'))
    const file = join(root, 'state', 'daemon.log')
    const logger = createLogger({ file, stderr: false })
    logger.info('hello')
    await logger.close()
    expect(mode(file)).toBe(0o600)
  })

  it('tightens an existing 0644 file to 0600 and appends to what it held', async () => {
    root = mkdtempSync(join(tmpdir(), 'oma-log-'))
    const file = join(root, 'daemon.log')
    writeFileSync(file, '{"message":"from before"}\n')
    chmodSync(file, 0o644)
    const logger = createLogger({ file, stderr: false })
    expect(mode(file)).toBe(0o600)
    logger.info('after')
    await logger.close()
    expect(mode(file)).toBe(0o600)
    const text = readFileSync(file, 'utf8')
    expect(text).toContain('from before')
    expect(text).toContain('after')
  })

  it('tightens it again when reopened (SIGHUP) after someone loosened it', async () => {
    root = mkdtempSync(join(tmpdir(), 'oma-log-'))
    const file = join(root, 'daemon.log')
    const logger = createLogger({ file, stderr: false })
    logger.info('one')
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('one'))
    chmodSync(file, 0o644)
    logger.reopen()
    logger.info('two')
    await logger.close()
    expect(mode(file)).toBe(0o600)
  })
})
