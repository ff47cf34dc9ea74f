import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { JSONRPCServer } from 'json-rpc-2.0'
import { describe, expect, it } from 'vitest'
import { openUrl, type SpawnFn } from '../../client/cli/open-url.js'
import { EventBus } from '../../daemon/events.js'
import { eventHandlers } from '../../daemon/handlers/events.js'
import type { Components } from '../../daemon/handlers/context.js'
import { createDispatcher } from '../../daemon/server/dispatch.js'
import { LINK_TTL_MS, SignIn } from '../../daemon/web/sign-in.js'
import { EventStreams, MAX_EVENT_STREAMS } from '../../daemon/web/sse.js'
import { findStaticDir, loadStaticFiles } from '../../daemon/web/static-files.js'
import { servedOverHttp } from '../../daemon/web/transports.js'
import { silentLogger } from '../../daemon/deps.js'
import { FakeClock } from '../helpers/clock.js'

const ROOT = join(import.meta.dirname, '..', '..')

/** An opener that starts and exits with `exit`, fails to start ('error'), or keeps running ('running'). */
function fakeSpawn(outcome: { exit: number } | 'error' | 'running'): {
  spawn: SpawnFn
  calls: { cmd: string; args: string[] }[]
} {
  const calls: { cmd: string; args: string[] }[] = []
  const spawn = ((cmd: string, args: string[]) => {
    calls.push({ cmd, args })
    const child = Object.assign(new EventEmitter(), { unref: () => {} })
    queueMicrotask(() => {
      if (outcome === 'error') return void child.emit('error', new Error('spawn xdg-open ENOENT'))
      child.emit('spawn')
      if (outcome !== 'running') child.emit('exit', outcome.exit)
    })
    return child
  }) as unknown as SpawnFn
  return { spawn, calls }
}

describe('opening the link', () => {
  it('uses xdg-open on Linux and open on macOS, with the URL as its only argument', async () => {
    const linux = fakeSpawn({ exit: 0 })
    expect(await openUrl('http://127.0.0.1:1/#code=x', { spawn: linux.spawn, platform: 'linux' })).toBe(true)
    expect(linux.calls).toEqual([{ cmd: 'xdg-open', args: ['http://127.0.0.1:1/#code=x'] }])
    const mac = fakeSpawn({ exit: 0 })
    await openUrl('http://127.0.0.1:1/', { spawn: mac.spawn, platform: 'darwin' })
    expect(mac.calls[0]?.cmd).toBe('open')
  })

  it('reports false when there is no opener or it fails, so the CLI prints the link', async () => {
    expect(await openUrl('http://127.0.0.1:1/', { spawn: fakeSpawn('error').spawn, platform: 'linux' })).toBe(false)
    // xdg-open with no browser to hand the URL to exits 3.
    expect(await openUrl('http://127.0.0.1:1/', { spawn: fakeSpawn({ exit: 3 }).spawn, platform: 'linux' })).toBe(false)
  })

  it('takes an opener still running (a browser in the foreground) as opened', async () => {
    const deps = { spawn: fakeSpawn('running').spawn, platform: 'linux' as const, settleMs: 0 }
    expect(await openUrl('http://127.0.0.1:1/', deps)).toBe(true)
  })
})

describe('one-time links', () => {
  it('work once, within their time, and never after', async () => {
    const clock = new FakeClock()
    const s = new SignIn(clock)
    const a = s.issue()
    const session = s.redeem(a.code)
    expect(session).toBeDefined()
    expect(s.verify(session)).toBe(true)
    expect(s.redeem(a.code)).toBeUndefined()
    const b = s.issue()
    await clock.advance(LINK_TTL_MS + 1)
    expect(s.redeem(b.code)).toBeUndefined()
    expect(s.redeem('constructor')).toBeUndefined()
    expect(s.redeem({ code: 1 })).toBeUndefined()
    expect(s.verify('x')).toBe(false)
    expect(s.verify(undefined)).toBe(false)
  })
})

describe('the HTTP method allow-list', () => {
  it('serves everything but the token methods and accounts.add', () => {
    for (const m of ['token.get', 'token.report', 'accounts.add', 'nope', '__proto__', 'constructor']) {
      expect(servedOverHttp(m), m).toBe(false)
    }
    for (const m of ['daemon.status', 'accounts.list', 'accounts.remove', 'events.subscribe', 'dashboard.open']) {
      expect(servedOverHttp(m), m).toBe(true)
    }
  })
})

describe('static files', () => {
  it('are found beside the source and, from dist/ (tsc or the bundle), in the package’s daemon/web/static', () => {
    const fromSource = findStaticDir(pathToFileURL(join(ROOT, 'daemon', 'web', 'static-files.ts')).href)
    expect(fromSource).toBe(join(ROOT, 'daemon', 'web', 'static'))
    for (const built of [['web', 'static-files.js'], ['chunks', 'static-files-X4Y5.js'], ['main.js']]) {
      const url = pathToFileURL(join(ROOT, 'dist', 'daemon', ...built)).href
      expect(findStaticDir(url), built.join('/')).toBe(join(ROOT, 'daemon', 'web', 'static'))
    }
  })

  it('are served from a map of exact paths: the shell at / and the modules it loads', async () => {
    const files = await loadStaticFiles(join(ROOT, 'daemon', 'web', 'static'))
    expect(files.get('/')?.type).toMatch(/text\/html/)
    expect(files.get('/js/app.js')?.type).toMatch(/javascript/)
    expect(files.has('/../package.json')).toBe(false)
  })
})

class FakeResponse extends EventEmitter {
  writableLength = 0
  destroyed = false
  status = 0
  written: string[] = []
  headersSent = false
  writeHead(status: number): this {
    this.status = status
    this.headersSent = true
    return this
  }
  write(chunk: string): boolean {
    this.written.push(chunk)
    return true
  }
  end(): void {}
  destroy(): void {
    this.destroyed = true
    this.emit('close')
  }
}

describe('event streams', () => {
  function streams(): { bus: EventBus; s: EventStreams; dispatcher: JSONRPCServer<never> } {
    const bus = new EventBus(new FakeClock())
    const dispatcher = createDispatcher(eventHandlers({ bus } as unknown as Components), silentLogger)
    return { bus, s: new EventStreams(dispatcher, silentLogger, 1024), dispatcher: dispatcher as never }
  }
  const settle = () => new Promise((r) => setImmediate(r))

  it('subscribe through the dispatcher, write events as SSE, and unsubscribe on close', async () => {
    const { bus, s } = streams()
    const res = new FakeResponse()
    s.open(res as never)
    await settle()
    expect(bus.size).toBe(1)
    bus.emit('rotation.changed', { change: 'active', alias: 'a', previous: null })
    expect(res.written.some((w) => w.startsWith('data: {') && w.includes('"rotation.changed"'))).toBe(true)
    res.destroy()
    expect(bus.size).toBe(0)
  })

  it('close a stream whose unsent events pass the backlog cap', async () => {
    const { bus, s } = streams()
    const res = new FakeResponse()
    s.open(res as never)
    await settle()
    res.writableLength = 2048
    bus.emit('account.updated', { alias: 'a', change: 'updated' })
    expect(res.destroyed).toBe(true)
    expect(bus.size).toBe(0)
  })

  it(`refuse more than ${MAX_EVENT_STREAMS} streams at once`, async () => {
    const { s } = streams()
    const open = Array.from({ length: MAX_EVENT_STREAMS }, () => new FakeResponse())
    for (const r of open) s.open(r as never)
    const extra = new FakeResponse()
    s.open(extra as never)
    expect(extra.status).toBe(503)
    await settle()
    s.closeAll()
    expect(open.every((r) => r.destroyed)).toBe(true)
  })
})
