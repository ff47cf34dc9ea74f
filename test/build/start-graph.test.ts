/**
 * What the daemon loads at start (docs/performance.md, "Start-up"): the static import graph
 * of daemon/main.ts as it runs (each file transpiled, so imports used only as types are gone,
 * as in dist/), without what a start does not use. Those parts are loaded by `import()` at
 * their first use; a static import anywhere on the way would bring them back.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import * as esbuild from 'esbuild'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { daemonBundleOptions } from '../../scripts/build-daemon.mjs'

const root = join(import.meta.dirname, '..', '..')

function staticImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText
  return [
    ...js.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g,
    ),
  ].map((m) => m[1] ?? m[2] ?? '')
}

/** Every project file (relative to the root) and every package the daemon's entry loads before it runs. */
function startGraph(entry: string): { files: Set<string>; packages: Set<string>; builtins: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const builtins = new Set<string>()
  const todo = [join(root, entry)]
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    const rel = relative(root, f)
    if (files.has(rel)) continue
    files.add(rel)
    for (const spec of staticImports(f)) {
      if (spec.startsWith('node:')) {
        builtins.add(spec)
        continue
      }
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec))
        continue
      }
      const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts')
      expect(existsSync(target), `${rel} imports ${spec}`).toBe(true)
      todo.push(target)
    }
  }
  return { files, packages, builtins }
}

/** Sources that must wait for their first use: sign-in, limits probing, the gateway, the dashboard server. */
const loadsAtFirstUse = (f: string): boolean =>
  f.startsWith('daemon/gateway/') ||
  /^daemon\/auth\/login-/.test(f) ||
  f === 'daemon/limits/probe.ts' ||
  (f.startsWith('daemon/web/') && f !== 'daemon/web/dashboard.ts') ||
  (f.startsWith('upstream/') && f !== 'upstream/deadline.ts')

describe('the daemon at start', () => {
  const { files, packages, builtins } = startGraph('daemon/main.ts')

  it('walks the real graph (the composition root, the store, the socket server)', () => {
    for (const f of ['daemon/app.ts', 'daemon/store/store.ts', 'daemon/server/socket-server.ts', 'daemon/lazy/once.ts'])
      expect(files).toContain(f)
    expect(packages).toContain('zod')
    expect(builtins).toContain('node:net')
  })

  it('spawns nothing at start, so child_process waits for the first Codex lock or notification', () => {
    expect(builtins).not.toContain('node:child_process')
  })

  it('does not load the CLI (commander) or the proxy agent (undici)', () => {
    expect([...packages].filter((p) => p === 'commander' || p === 'undici')).toEqual([])
    expect(files).not.toContain('daemon/net/proxy.ts')
  })

  it('leaves sign-in, limits probing, the gateway and the dashboard server to their first use', () => {
    const eager = [...files].filter(loadsAtFirstUse)
    expect(eager).toEqual([])
  })
})

/**
 * The same, for what runs: the bundle `npm run build` writes over dist/daemon/main.js (same
 * esbuild options, in memory). Its start is the entry's output and every chunk it imports
 * statically; a chunk reached only by import() is loaded at first use.
 */
describe('the daemon bundle at start', async () => {
  const built = await esbuild.build(daemonBundleOptions({ write: false, metafile: true }))
  const metafile = built.metafile ?? { inputs: {}, outputs: {} }
  const outputs = metafile.outputs
  const entry = Object.keys(outputs).find((o) => outputs[o]?.entryPoint === 'daemon/main.ts')
  const loaded = new Set<string>()
  for (const todo = entry ? [entry] : []; todo.length > 0;) {
    const out = todo.pop() ?? ''
    if (loaded.has(out)) continue
    loaded.add(out)
    for (const i of outputs[out]?.imports ?? []) if (!i.external && i.kind === 'import-statement') todo.push(i.path)
  }
  const inputs = new Set([...loaded].flatMap((o) => Object.keys(outputs[o]?.inputs ?? {})))
  // A package by its folder under node_modules, wherever node_modules lives (it may be a symlink).
  const packages = new Set([...inputs].flatMap((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? []))
  const own = [...inputs].filter((f) => !f.includes('node_modules/'))

  it('walks the real start (the composition root, the store, zod, winston) and keeps the rest in chunks', () => {
    for (const f of ['daemon/app.ts', 'daemon/store/store.ts', 'daemon/lazy/once.ts']) expect(own).toContain(f)
    expect(packages).toContain('zod')
    expect(packages).toContain('winston')
    expect(Object.keys(outputs).filter((o) => !loaded.has(o) && o.endsWith('.js')).length).toBeGreaterThan(0)
  })

  it('does not load the CLI (commander) or the proxy agent (undici)', () => {
    expect([...packages].filter((p) => p === 'commander' || p === 'undici')).toEqual([])
    expect(own).not.toContain('daemon/net/proxy.ts')
  })

  it('leaves sign-in, limits probing, the gateway and the dashboard server to their first use', () => {
    const eager = own.filter(loadsAtFirstUse)
    expect(eager).toEqual([])
  })

  it('spawns nothing at start: no static import or require of child_process anywhere in it', () => {
    const spawners = [...inputs].filter((f) =>
      (metafile.inputs[f]?.imports ?? []).some(
        (i) => /^(node:)?child_process$/.test(i.path) && i.kind !== 'dynamic-import',
      ),
    )
    expect(spawners).toEqual([])
  })
  it("carries zod's English messages only: a named `{ z }` import would pull in its 257 locales", () => {
    const locales = [...inputs].filter((f) => /node_modules\/zod\/.*\/locales\/(?!en\.|index\.)/.test(f))
    expect(locales).toEqual([])
  })
})
