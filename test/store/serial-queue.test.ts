import { describe, expect, it } from 'vitest'
import { SerialQueue } from '../../daemon/store/serial-queue.js'

describe('SerialQueue', () => {
  it('runs jobs one at a time in queue order; a failure does not stop the next', async () => {
    const q = new SerialQueue()
    const log: string[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const first = q.run(async () => {
      log.push('1 start')
      await gate
      log.push('1 end')
      return 1
    })
    const second = q.run(() => {
      log.push('2')
      return Promise.reject(new Error('two'))
    })
    const third = q.run(() => {
      log.push('3')
      return Promise.resolve(3)
    })
    await new Promise((r) => setImmediate(r))
    expect(log).toEqual(['1 start'])
    release()
    expect(await first).toBe(1)
    await expect(second).rejects.toThrow('two')
    expect(await third).toBe(3)
    await q.idle()
    expect(log).toEqual(['1 start', '1 end', '2', '3'])
  })
})
