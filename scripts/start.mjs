// `npm start`: the daemon as users run it, the bundle in dist/ (tens of MB and a few hundred ms
// less than under tsx; see docs/performance.md). Builds dist/ first (what `npm run build` does: tsc,
// then the daemon's bundle) when it is missing or older than a source file, so a fresh checkout or
// an edit never runs stale code. Arguments go to the daemon.
import { execFileSync } from 'node:child_process'
import process from 'node:process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildDaemon } from './build-daemon.mjs'

const root = resolve(import.meta.dirname, '..')
const main = join(root, 'dist', 'daemon', 'main.js')

function newestSource(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (e.name.endsWith('.ts') || e.name.endsWith('.json')) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

const sources = Math.max(...['protocol', 'upstream', 'daemon', 'client'].map((d) => newestSource(join(root, d))))
if (!existsSync(main) || statSync(main).mtimeMs < sources) {
  process.stderr.write('building dist/ (npm run build)…\n')
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root })
  await buildDaemon()
}
await import(pathToFileURL(main).href)
