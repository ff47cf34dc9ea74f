import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Request } from 'playwright-core'

export const CHROMIUM_INSTALL = 'apt-get install -y chromium'

/** CHROMIUM_PATH, else `chromium` or `chromium-browser` on PATH; undefined when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK)
      return true
    } catch {
      return false
    }
  }
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (executable(join(dir, name))) return join(dir, name)
    }
  }
  return undefined
}

/**
 * Whether the e2e tests can run here. Locally a missing browser skips them
 * (with the install command printed); under CI=true it fails them.
 */
export function chromiumOrSkip(): string | undefined {
  const exe = findChromium()
  if (exe) return exe
  const message = `no Chromium found (CHROMIUM_PATH, chromium, chromium-browser); install it: ${CHROMIUM_INSTALL}`
  if (process.env.CI === 'true') throw new Error(message)
  console.warn(`dashboard e2e skipped: ${message}`)
  return undefined
}

export function launch(executablePath: string): Promise<Browser> {
  // Root (CI containers) cannot use Chromium's sandbox.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : []
  return chromium.launch({ executablePath, args, headless: true })
}

/**
 * Every request a context makes is recorded; anything not for 127.0.0.1 is
 * aborted, so a test can assert that nothing left the machine.
 */
export async function guardNetwork(context: BrowserContext): Promise<string[]> {
  const foreign: string[] = []
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url())
    if (url.hostname === '127.0.0.1') return route.continue()
    foreign.push(url.href)
    return route.abort()
  })
  context.on('request', (r: Request) => {
    const url = new URL(r.url())
    if (url.hostname !== '127.0.0.1' && !foreign.includes(url.href)) foreign.push(url.href)
  })
  return foreign
}
