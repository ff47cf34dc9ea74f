import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

function files(dir: string): string[] {
  if (!existsSync(join(root, dir))) return []
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
}

/** Every module specifier a file imports or re-exports (type-only imports count: they couple too). */
export function imports(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1])
}

function importsOf(file: string): string[] {
  return imports(readFileSync(join(root, file), 'utf8'))
}

/** Where a relative import lands, as a top-level folder; bare specifiers as they are. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec
  return relative(root, resolve(dirname(join(root, file)), spec)).split('/')[0]
}

/**
 * The graph of daemon/: a node per component folder, and per file at daemon/'s top
 * (main.ts, app.ts, deps.ts, ...), so a cycle through a top-level file counts too.
 */
export function daemonGraph(list: { file: string; specs: string[] }[]): Map<string, Set<string>> {
  const node = (path: string): string => {
    const parts = path.split('/')
    return parts.length > 2 ? parts.slice(0, 2).join('/') : path.replace(/\.(js|ts)$/, '')
  }
  const graph = new Map<string, Set<string>>()
  for (const { file, specs } of list) {
    const from = node(file)
    const edges = graph.get(from) ?? new Set<string>()
    graph.set(from, edges)
    for (const spec of specs) {
      if (!spec.startsWith('.')) continue
      const to = relative(root, resolve(dirname(join(root, file)), spec))
      if (!to.startsWith('daemon/')) continue
      const n = node(to)
      if (n !== from) edges.add(n)
    }
  }
  return graph
}

/** Every cycle (as a path a -> ... -> a), found by depth-first search; empty when the graph is a DAG. */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (n: string): void => {
    state.set(n, 'open')
    stack.push(n)
    for (const m of [...(graph.get(n) ?? [])].sort()) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m])
      else if (!state.has(m)) visit(m)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n)
  return found
}

describe('the layering of docs/architecture.md#rules-of-the-house', () => {
  it('protocol/ imports nothing but itself and zod — no Node APIs, no daemon, no client', () => {
    for (const f of files('protocol')) {
      for (const spec of importsOf(f))
        expect([f, target(f, spec)]).toEqual([f, spec.startsWith('.') ? 'protocol' : 'zod'])
    }
  })

  it('upstream/ imports only protocol/ (web-standard APIs, no packages)', () => {
    for (const f of files('upstream')) {
      for (const spec of importsOf(f)) {
        const t = target(f, spec)
        expect([f, t === 'upstream' || t === 'protocol']).toEqual([f, true])
      }
    }
  })

  it('client/ never imports daemon/, and daemon/ never imports client/', () => {
    for (const f of files('client'))
      for (const spec of importsOf(f)) expect([f, target(f, spec)]).not.toEqual([f, 'daemon'])
    for (const f of files('daemon'))
      for (const spec of importsOf(f)) expect([f, target(f, spec)]).not.toEqual([f, 'client'])
  })

  it('the folders of daemon/ form no cycle', () => {
    const graph = daemonGraph(files('daemon').map((file) => ({ file, specs: importsOf(file) })))
    expect(graph.size).toBeGreaterThan(5)
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([])
  })

  it('the cycle check finds a cycle, also one through a top-level file', () => {
    const g = daemonGraph([
      { file: 'daemon/a/x.ts', specs: ['../b/y.js'] },
      { file: 'daemon/b/y.ts', specs: ['../deps.js', './z.js'] },
      { file: 'daemon/deps.ts', specs: ['./a/x.js'] },
      { file: 'daemon/c/w.ts', specs: ['../a/x.js'] },
    ])
    expect(cycles(g).map((c) => c.join(' -> '))).toEqual(['daemon/a -> daemon/b -> daemon/deps -> daemon/a'])
    expect(cycles(daemonGraph([{ file: 'daemon/a/x.ts', specs: ['../b/y.js'] }]))).toEqual([])
  })
})
