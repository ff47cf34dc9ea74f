import { existsSync, promises as fs } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, extname, join } from 'node:path'

const TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.ico', 'image/x-icon'],
])

export interface StaticFile {
  body: Buffer
  type: string
}

/**
 * Where the page lives. From source it is `static/` beside this module. Built, this module is
 * somewhere under dist/ (tsc's dist/daemon/web/, or a chunk of the daemon's bundle in
 * dist/daemon/chunks/), which holds no copy: it is the package's own `daemon/web/static/`
 * (listed in package.json `files`), under the nearest folder above with a package.json.
 */
export function findStaticDir(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(new URL('.', moduleUrl))
  const candidates = [join(here, 'static')]
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      candidates.push(join(dir, 'daemon', 'web', 'static'))
      break
    }
    if (dirname(dir) === dir) break
  }
  const found = candidates.find((d) => existsSync(join(d, 'index.html')))
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`)
  return found
}

/**
 * Reads the page into memory once, when the dashboard starts: requests are
 * then answered from a Map keyed by the exact URL path, so no request path
 * ever reaches the file system (no traversal, no symlink surprises).
 */
export async function loadStaticFiles(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>()
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await fs.readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name
      if (entry.isDirectory()) await walk(rel)
      const type = TYPES.get(extname(entry.name))
      if (entry.isFile() && type) files.set(`/${rel}`, { body: await fs.readFile(join(dir, rel)), type })
    }
  }
  await walk('')
  const index = files.get('/index.html')
  if (index) files.set('/', index)
  return files
}
