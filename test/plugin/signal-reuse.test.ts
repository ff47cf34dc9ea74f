import { afterEach, describe, expect, it } from 'vitest'
import { send } from '../../upstream/send.js'
import { getEventListeners } from 'node:events'

describe('upstream requests and the caller’s abort signal', () => {
  const warnings: Error[] = []
  const onWarning = (w: Error): void => void warnings.push(w)
  process.on('warning', onWarning)
  afterEach(() => process.off('warning', onWarning))

  it('one signal reused for many requests collects no listeners', async () => {
    const caller = new AbortController()
    const fetch = async (): Promise<Response> => new Response('ok')
    for (let i = 0; i < 50; i++) {
      const sent = await send({
        url: 'http://127.0.0.1:9/x',
        headers: new Headers(),
        body: '{}',
        signal: caller.signal,
        headersTimeoutMs: 5000,
        fetch,
      })
      await sent.res.text()
    }
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0)
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })

  it('still forwards the caller’s abort to the upstream request', async () => {
    const caller = new AbortController()
    let seen: AbortSignal | undefined
    const fetch = (_u: string | URL | Request, init?: RequestInit): Promise<Response> =>
      new Promise((_, reject) => {
        seen = init?.signal ?? undefined
        // Like fetch: rejected with the abort reason as given.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    const p = send({
      url: 'http://127.0.0.1:9/x',
      headers: new Headers(),
      body: '{}',
      signal: caller.signal,
      headersTimeoutMs: 5000,
      fetch,
    })
    caller.abort(new Error('user pressed escape'))
    await expect(p).rejects.toThrow('user pressed escape')
    expect(seen?.aborted).toBe(true)
  })
})
