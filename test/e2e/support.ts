import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import type { RpcClient } from '../../client/rpc/client.js'
import { startFakeBackend, type FakeBackend } from '../fakes/backend.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon, type TestDirs } from '../helpers/daemon.js'

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** How long a poll waits for the daemon or the page (CI has 2 cores shared by much else). */
export const WAIT = { timeout: 15_000 } as const

export interface World {
  issuer: FakeIssuer
  backend: FakeBackend
  dirs: TestDirs
  daemon: SpawnedDaemon
  client: RpcClient
  close(): Promise<void>
}

/** A real daemon process with the fake issuer and backend, its dashboard on a port the system picks. */
export async function startWorld(): Promise<World> {
  const issuer = await startFakeIssuer({ deviceIntervalS: 0.2 })
  const backend = await startFakeBackend()
  const dirs = makeDirs({
    OPENCODE_MULTI_AUTH_ISSUER: issuer.url,
    OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url,
  })
  const daemon = await startDaemon(dirs, ['--dashboard-port', '0'])
  const client = await daemon.connect()
  return {
    issuer,
    backend,
    dirs,
    daemon,
    client,
    async close() {
      client.close()
      await daemon.stop()
      await Promise.all([issuer.close(), backend.close()])
      cleanup(dirs)
    },
  }
}

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[] }[]
}

/** axe-core, evaluated over the DevTools protocol (the page's CSP forbids injected script tags, rightly). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE)
  const result = await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)
  return (result as { violations: AxeViolation[] }).violations
}

/** Waits until the page has loaded its first state. */
export async function ready(page: Page): Promise<void> {
  await page.waitForSelector('html[data-ready="true"]')
}
