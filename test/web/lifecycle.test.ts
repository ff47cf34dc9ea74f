import { createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../protocol/errors.js'
import { RpcError } from '../../client/rpc/errors.js'
import { startTestApp } from '../helpers/app.js'
import { cleanup, makeDirs, startDaemon } from '../helpers/daemon.js'
import { json, killStrayClis, runCli } from '../cli/run.js'
import { http, signIn } from './http.js'

afterAll(() => killStrayClis())

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

describe('dashboard lifetime', () => {
  it('is off until asked, stays on, and stops with the daemon', async () => {
    const t = await startTestApp({ dashboardPort: 0, noKeepAlive: true })
    try {
      const { dashboard } = t.app.components
      expect(dashboard.running).toBe(false)
      const a = await t.client.call('dashboard.open', {})
      const b = await t.client.call('dashboard.open', {})
      // One listener, two different one-time links.
      expect(new URL(a.url).port).toBe(new URL(b.url).port)
      expect(a.url).not.toBe(b.url)
      expect(a.origin).toBe(`http://127.0.0.1:${new URL(a.url).port}`)
      const port = Number(new URL(a.url).port)
      expect(await listening(port)).toBe(true)
      await t.app.stop()
      expect(dashboard.running).toBe(false)
      expect(await listening(port)).toBe(false)
    } finally {
      await t.close()
    }
  })

  it('starts as soon as dashboardAlwaysOn is set, and at start when it is', async () => {
    const dirs = makeDirs()
    const t = await startTestApp({ dirs, dashboardPort: 0, noKeepAlive: true })
    try {
      await t.client.call('settings.update', { dashboardAlwaysOn: true })
      await expect.poll(() => t.app.components.dashboard.running).toBe(true)
    } finally {
      await t.close()
    }
    const again = await startTestApp({ dirs, dashboardPort: 0, noKeepAlive: true })
    try {
      expect(again.app.components.dashboard.running).toBe(true)
    } finally {
      await again.close()
      cleanup(dirs)
    }
  })

  it('takes its port from the dashboardPort setting, and says clearly when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const taken = (blocker.address() as AddressInfo).port
    const t = await startTestApp({ noKeepAlive: true })
    try {
      await t.client.call('settings.update', { dashboardPort: taken })
      const err = await t.client.call('dashboard.open', {}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RpcError)
      expect((err as RpcError).code).toBe(ErrorCode.CONFLICT)
      expect((err as RpcError).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${taken}.*in use.*dashboardPort`))
      expect(t.app.components.dashboard.running).toBe(false)
      const bad = await t.client.call('settings.update', { dashboardPort: 70_000 }).catch((e: unknown) => e)
      expect((bad as RpcError).code).toBe(ErrorCode.INVALID_PARAMS)
    } finally {
      await t.close()
      blocker.close()
    }
  })
})

describe('opencode-multi-auth dashboard', () => {
  it('--no-open --json prints a working one-time link; the daemon takes --dashboard-port', async () => {
    const dirs = makeDirs()
    const daemon = await startDaemon(dirs, ['--dashboard-port', '0'])
    try {
      const r = await runCli(['dashboard', '--no-open', '--json'], { env: dirs.env })
      expect(r.code).toBe(0)
      const out = json<{ url: string; origin: string; expiresAt: number; opened: boolean }>(r)
      expect(out.opened).toBe(false)
      expect(out.url.startsWith(`${out.origin}/#code=`)).toBe(true)
      const port = Number(new URL(out.url).port)
      const cookie = await signIn(port, out.url)
      expect(cookie).toMatch(/^oma_dashboard=/)
      const text = await runCli(['dashboard', '--no-open'], { env: dirs.env })
      expect(text.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=\S+$/m)
      expect((await http(port, { path: '/' })).status).toBe(200)
    } finally {
      await daemon.stop()
      cleanup(dirs)
    }
  })

  it('the daemon refuses a --dashboard-port that is not a port', async () => {
    const dirs = makeDirs()
    try {
      const daemon = startDaemon(dirs, ['--dashboard-port', 'http'])
      await expect(daemon).rejects.toThrow(/--dashboard-port wants a port number/)
    } finally {
      cleanup(dirs)
    }
  })
})
