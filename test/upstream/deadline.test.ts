import { describe, expect, it } from 'vitest'
import { DeadlineError, fetchWithDeadline, withDeadline } from '../../upstream/deadline.js'
import { FakeClock } from '../helpers/clock.js'

/** A fetch that never answers and ignores its signal: only the race can end it. */
const deaf = (): Promise<never> => new Promise<never>(() => {})

describe('withDeadline', () => {
  it('rejects at the deadline even when the work ignores its signal, and aborts the signal', async () => {
    const clock = new FakeClock()
    let seen: AbortSignal | undefined
    const p = withDeadline(
      (signal) => {
        seen = signal
        return deaf()
      },
      { ms: 1000, timers: clock },
    ).catch((e: unknown) => e)
    await clock.advance(999)
    expect(seen?.aborted).toBe(false)
    await clock.advance(1)
    const err = await p
    expect(err).toBeInstanceOf(DeadlineError)
    expect(seen?.aborted).toBe(true)
  })

  it('uses the caller-chosen timeout error', async () => {
    const clock = new FakeClock()
    class Mine extends Error {}
    const p = withDeadline(deaf, { ms: 5, timers: clock, timeoutError: () => new Mine('late') }).catch(
      (e: unknown) => e,
    )
    await clock.advance(5)
    expect(await p).toBeInstanceOf(Mine)
  })

  it("rejects with the caller's abort reason when the caller aborts", async () => {
    const clock = new FakeClock()
    const caller = new AbortController()
    const p = withDeadline(deaf, { ms: 1000, timers: clock, signal: caller.signal }).catch((e: unknown) => e)
    const reason = new Error('user cancelled')
    caller.abort(reason)
    expect(await p).toBe(reason)
    expect(clock.timers).toEqual([])
  })

  it('answers, clears its timer and leaves a given controller un-aborted on success', async () => {
    const clock = new FakeClock()
    const controller = new AbortController()
    const fakeFetch = ((_url: string, init: RequestInit) => {
      expect(init.signal).toBeDefined()
      return Promise.resolve(new Response('hello', { status: 201 }))
    }) as unknown as typeof fetch
    const got = await fetchWithDeadline(
      fakeFetch,
      'http://x/y',
      { method: 'POST' },
      async (r) => `${r.status} ${await r.text()}`,
      {
        ms: 1000,
        timers: clock,
        controller,
      },
    )
    expect(got).toBe('201 hello')
    expect(clock.timers).toEqual([])
    expect(controller.signal.aborted).toBe(false)
  })

  it('passes the work’s own error through', async () => {
    const clock = new FakeClock()
    const boom = new TypeError('fetch failed')
    await expect(withDeadline(() => Promise.reject(boom), { ms: 10, timers: clock })).rejects.toBe(boom)
  })
})
