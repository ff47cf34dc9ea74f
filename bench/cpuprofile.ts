import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { printTable } from './stats.js'

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

/**
 * Prints where a `node --cpu-prof` profile written to `dir` spent its samples: self time by
 * function, then by file (our dist/ files and node: internals by name, a package as a whole).
 */
export function printProfile(dir: string, rows: { functions: number; files: number }): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no profile in ${dir}`)
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] }
  const total = prof.nodes.reduce((t, x) => t + (x.hitCount ?? 0), 0)
  const byFn = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const node of prof.nodes) {
    const f = node.callFrame
    const where = f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/') || '(native)'
    const fn = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + (node.hitCount ?? 0))
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(where)?.[1]
    const key = pkg ?? (where.startsWith('dist/') || where.startsWith('node:') ? where : f.functionName || where)
    byFile.set(key, (byFile.get(key) ?? 0) + (node.hitCount ?? 0))
  }
  const top = (m: Map<string, number>, k: number): (string | number)[][] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, hits]) => [name, (hits / total) * 100])
  printTable('Self time by function (% of samples)', ['function', '%'], top(byFn, rows.functions))
  printTable('Self time by file / package (% of samples)', ['where', '%'], top(byFile, rows.files))
  console.log(`\nprofile: ${join(dir, file)}`)
}
