/** What the real-client tests share: where the clients are installed, and the no-internet guard (RECIPES.md §1). */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** This folder; the real clients are installed test-only in its node_modules. */
export const RC = dirname(fileURLToPath(import.meta.url))

/** A path inside this folder's node_modules. */
export const installed = (...path: string[]): string => join(RC, 'node_modules', ...path)

/** Our plugin, from its TypeScript source (OpenCode runs on Bun, which imports .ts as is). */
export const PLUGIN = pathToFileURL(resolve(RC, '..', '..', 'client', 'plugin', 'index.ts')).href
const PLUGIN_TYPES = installed('@opencode-ai', 'plugin')

export interface Guard {
  url: string
  /** Every request that reached the guard: each one an attempt to reach the internet. */
  attempts: string[]
  close(): Promise<void>
}

/** RECIPES.md §1 guard: HTTP(S)_PROXY points here; a CONNECT or absolute-URL request is an attempt to reach the internet. */
export async function startGuard(): Promise<Guard> {
  const attempts: string[] = []
  const server: Server = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`)
    res.writeHead(403).end()
  })
  server.on('connect', (req, socket) => {
    attempts.push(`CONNECT ${req.url}`)
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const addr = server.address()
  return {
    url: `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`,
    attempts,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

/** Environment that sends anything not loopback to the guard at `proxyUrl` (refused at once, and recorded). */
export function proxyEnv(proxyUrl: string): Record<string, string> {
  return { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1,localhost' }
}

/** A private HOME/XDG tree with opencode.json loading our plugin, and the plugin's types seeded (no install). */
export function openCodeHome(
  proxy: string,
  auth: Record<string, unknown>,
  plugins: string[] = [PLUGIN],
): { root: string; work: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), 'oma-oc-'))
  const dir = (p: string): string => {
    const d = join(root, p)
    mkdirSync(d, { recursive: true })
    return d
  }
  const config = dir('xdg/config')
  const oc = dir('xdg/config/opencode')
  writeFileSync(join(oc, 'opencode.json'), JSON.stringify({ plugin: plugins }))
  // OpenCode installs @opencode-ai/plugin into its config dir and waits ~70 s for the network
  // unless it finds it there with a lockfile naming it.
  mkdirSync(join(oc, 'node_modules', '@opencode-ai'), { recursive: true })
  symlinkSync(PLUGIN_TYPES, join(oc, 'node_modules', '@opencode-ai', 'plugin'), 'dir')
  writeFileSync(
    join(oc, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: { '@opencode-ai/plugin': '1.18.33' } } } }),
  )
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir('home'),
    XDG_CONFIG_HOME: config,
    XDG_DATA_HOME: dir('xdg/data'),
    XDG_CACHE_HOME: dir('xdg/cache'),
    XDG_STATE_HOME: dir('xdg/state'),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    // Anything that is not loopback goes to the guard: refused at once, and recorded.
    ...proxyEnv(proxy),
    // OpenCode runs a loader only when a credential exists (our sign-in stores an oauth-type marker).
    OPENCODE_AUTH_CONTENT: JSON.stringify({ openai: auth }),
    NO_COLOR: '1',
  }
  return { root, work: dir('work'), env }
}

/**
 * A Codex config.toml provider block that keeps the real Codex offline (RECIPES.md §1): one
 * provider pointed at a loopback fake, no retries, no websockets, no apps, plugins or telemetry.
 */
export function offlineProvider(name: string, baseUrl: string): string[] {
  return [
    `[model_providers.${name}]`,
    `name = "${name}"`,
    `base_url = "${baseUrl}"`,
    'wire_api = "responses"',
    'requires_openai_auth = true',
    'supports_websockets = false',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
    '[features]',
    'apps = false',
    'plugins = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[otel]',
    'exporter = "none"',
    'trace_exporter = "none"',
    'metrics_exporter = "none"',
  ]
}
