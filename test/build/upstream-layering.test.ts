import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

/** upstream/ runs inside OpenCode (Bun) as well as the daemon: web-standard APIs, and protocol/ only. */
describe('upstream/ layering', () => {
  it('imports only upstream/ and protocol/, never a Node API or a package', () => {
    const files = readdirSync(join(root, 'upstream'), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => join(e.parentPath, e.name))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      const specs = [...readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)]
      for (const [, spec] of specs) {
        const where = spec.startsWith('.') ? relative(root, resolve(dirname(f), spec)).split('/')[0] : spec
        expect([relative(root, f), ['upstream', 'protocol'].includes(where)]).toEqual([relative(root, f), true])
      }
    }
  })
})
