/**
 * The parts a daemon start no longer loads (daemon/lazy/): each is loaded once, at its first
 * use, and behaves as if it had been there from the start.
 */
import { describe, expect, it } from 'vitest'
import type { GatewayStatus } from '../../protocol/methods.js'
import type { FetchFn } from '../../daemon/deps.js'
import { silentLogger } from '../../daemon/deps.js'
import type { GatewayDeps } from '../../daemon/gateway/index.js'
import { lazyGateway } from '../../daemon/lazy/gateway.js'
import { deferred } from '../../daemon/lazy/once.js'
import { outboundFetch } from '../../daemon/lazy/outbound.js'
import type { ProxyOptions } from '../../daemon/net/proxy.js'
import { hasProxyEnv } from '../../daemon/net/proxy-env.js'

const answer = (body: string): Response => new Response(body)

function outbound(env: ProxyOptions['env'], setting: { proxy?: string }) {
  const calls: string[] = []
  let loads = 0
  const opts: ProxyOptions = {
    env,
    setting: () => setting.proxy,
    logger: silentLogger,
    direct: async () => (calls.push('direct'), answer('direct')),
  }
  const load = async () => {
    loads++
    return {
      proxiedFetch:
        (o: ProxyOptions): FetchFn =>
        async (input, init) =>
          o.setting() || hasProxyEnv(o.env) ? (calls.push('proxy'), answer('proxy')) : o.direct(input, init),
    }
  }
  return { opts, load, calls, loads: () => loads }
}

describe('outbound fetch', () => {
  it('without a proxy goes straight to fetch and never loads the proxy code', async () => {
    const o = outbound({}, {})
    const f = await outboundFetch(o.opts, o.load)
    await f('http://127.0.0.1:9/a')
    await f('http://127.0.0.1:9/b')
    expect(o.calls).toEqual(['direct', 'direct'])
    expect(o.loads()).toBe(0)
  })

  it('loads the proxy once, at the first call that finds the setting set, and lets it follow the setting', async () => {
    const setting: { proxy?: string } = {}
    const o = outbound({}, setting)
    const f = await outboundFetch(o.opts, o.load)
    await f('http://127.0.0.1:9/a')
    setting.proxy = 'http://127.0.0.1:8'
    await Promise.all([f('http://127.0.0.1:9/b'), f('http://127.0.0.1:9/c')])
    setting.proxy = ''
    await f('http://127.0.0.1:9/d')
    expect(o.calls).toEqual(['direct', 'proxy', 'proxy', 'direct'])
    expect(o.loads()).toBe(1)
  })

  it('loads it at start when the environment names a proxy', async () => {
    const o = outbound({ https_proxy: 'http://127.0.0.1:8' }, {})
    const f = await outboundFetch(o.opts, o.load)
    expect(o.loads()).toBe(1)
    await f('http://127.0.0.1:9/a')
    expect(o.calls).toEqual(['proxy'])
  })

  it('loads the proxy code at start exactly for the environments net/proxy.ts proxies', async () => {
    const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'ALL_PROXY']
    for (let mask = 0; mask < 1 << names.length; mask++) {
      for (const value of ['http://127.0.0.1:8', '']) {
        const env = Object.fromEntries(names.filter((_, i) => mask & (1 << i)).map((n) => [n, value]))
        const o = outbound(env, {})
        await outboundFetch(o.opts, o.load)
        expect([env, o.loads()]).toEqual([env, hasProxyEnv(env) ? 1 : 0])
      }
    }
    expect(hasProxyEnv({ https_proxy: 'http://127.0.0.1:8' })).toBe(true)
    expect(hasProxyEnv({ NO_PROXY: '*', ALL_PROXY: 'http://127.0.0.1:8' })).toBe(false)
  })
})

function fakeGateway(forced?: { port?: number }) {
  const applied: Array<boolean | undefined> = []
  let made = 0
  let closed = 0
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => (release = r))
  const status: GatewayStatus = { enabled: true, url: 'http://127.0.0.1:1', requests: 3, failovers: 0 }
  const deps = { forced, logger: silentLogger } as unknown as GatewayDeps
  const g = lazyGateway(deps, async () => {
    made++
    await gate
    return {
      status: () => status,
      apply: async (s) => void applied.push(s.gatewayEnabled),
      close: async () => void closed++,
    }
  })
  return { g, applied, release, made: () => made, closed: () => closed }
}

describe('the gateway, loaded when it is to listen', () => {
  it('stays unloaded while disabled, and says it serves nothing', async () => {
    const f = fakeGateway()
    f.release()
    await f.g.apply({ gatewayEnabled: false, gatewayPort: 1 })
    expect(await f.g.status()).toEqual({ enabled: false, requests: 0, failovers: 0 })
    await f.g.close()
    expect([f.made(), f.closed()]).toEqual([0, 0])
  })

  it('applies changes made while it loads in their order (on then off ends off), and status waits for them', async () => {
    const f = fakeGateway()
    void f.g.apply({ gatewayEnabled: true, gatewayPort: 1 })
    void f.g.apply({ gatewayEnabled: false, gatewayPort: 1 })
    const status = f.g.status()
    f.release()
    expect((await status).requests).toBe(3)
    expect(f.applied).toEqual([true, false])
    expect(f.made()).toBe(1)
  })

  it('loads for --gateway whatever the setting says, and a stop while it loads closes it', async () => {
    const f = fakeGateway({ port: 1 })
    void f.g.apply({ gatewayEnabled: false, gatewayPort: 1 })
    const closing = f.g.close()
    f.release()
    await closing
    expect([f.made(), f.closed(), f.applied]).toEqual([1, 1, [false]])
  })
})

describe('deferred', () => {
  it('shares one load between callers and retries one that failed', async () => {
    let n = 0
    const d = deferred(async () => {
      if (++n === 1) throw new Error('first load fails')
      return n
    })
    await expect(d.get()).rejects.toThrow('first load fails')
    expect(await d.ifAsked()).toBeUndefined()
    expect(await Promise.all([d.get(), d.get()])).toEqual([2, 2])
    expect([n, d.loaded]).toEqual([2, 2])
  })
})
