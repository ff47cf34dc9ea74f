/**
 * A level that is off costs nothing: winston would run its formats (timestamp, redaction of
 * every field) before a transport drops the entry, so a debug line on the gateway's hot path
 * would cost that on every request at info.
 */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../daemon/log/logger.js'

describe('logger levels', () => {
  it('at info, a debug call never reads its fields; info still logs them', async () => {
    const log = createLogger({ level: 'info', stderr: false })
    let reads = 0
    const meta = {
      get path(): string {
        reads++
        return '/codex/responses'
      },
    }
    log.debug('gateway request', meta)
    expect(reads).toBe(0)
    log.info('gateway request', meta)
    expect(reads).toBeGreaterThan(0)
    expect(log.tail(10).map((l) => l.message)).toEqual(['gateway request'])
    expect(log.tail(10)[0]).toMatchObject({ level: 'info', path: '/codex/responses' })
    await log.close()
  })

  it('at debug, debug lines are kept', async () => {
    const log = createLogger({ level: 'debug', stderr: false })
    log.debug('gateway request', { path: '/codex/responses' })
    expect(log.tail(10)).toEqual([expect.objectContaining({ level: 'debug', path: '/codex/responses' })])
    await log.close()
  })
})
