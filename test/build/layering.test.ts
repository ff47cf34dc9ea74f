import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1])
}

/** Where a relative import lands, as a top-level folder; bare specifiers as they are. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec
  return relative(root, resolve(dirname(join(root, file)), spec)).split('/')[0]
}

describe('the layering of docs/architecture.md#rules-of-the-house', () => {
  it('protocol/ imports nothing but itself and zod — no Node APIs, no daemon, no client', () => {
    for (const f of files('protocol')) {
      for (const spec of imports(f))
        expect([f, target(f, spec)]).toEqual([f, spec.startsWith('.') ? 'protocol' : 'zod'])
    }
  })

  it('client/ never imports daemon/, and daemon/ never imports client/', () => {
    for (const f of files('client'))
      for (const spec of imports(f)) expect([f, target(f, spec)]).not.toEqual([f, 'daemon'])
    for (const f of files('daemon'))
      for (const spec of imports(f)) expect([f, target(f, spec)]).not.toEqual([f, 'client'])
  })
})
