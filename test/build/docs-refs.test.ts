/**
 * The project explains itself (docs/architecture.md#rules-of-the-house): comments and
 * docs point into the repo, and every `docs/<file>.md#anchor` they cite exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const SKIP = new Set(['node_modules', 'dist'])
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|md|json|sh)$/

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (TEXT.test(name)) out.push(p)
  }
  return out
}

const files = [
  ...['protocol', 'daemon', 'client', 'upstream', 'docs', 'test', 'bench']
    .map((d) => join(root, d))
    .filter((d) => existsSync(d))
    .flatMap((d) => walk(d, [])),
  join(root, 'README.md'),
].filter((f) => f !== join(root, 'test', 'build', 'docs-refs.test.ts'))

/** GitHub's heading slugs: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>()
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line)
    if (!m?.[1]) continue
    const slug = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    out.add(slug)
  }
  return out
}

describe('references in code and docs', () => {
  it('never point to working notes outside the repo', () => {
    // Spelled so that this line does not match itself.
    const outside = /DESIGN\.md|REFERENCE\.md|\.\.\/shared|seed[ ]fix/
    // "invariant N" only with the numbering it means.
    const bareInvariant = (line: string): boolean =>
      /\b[Ii]nvariants? \d/.test(line) && !/docs\/architecture\.md|#invariants/.test(line)
    const hits = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${relative(root, f)}:${i + 1}`, line }))
        .filter(({ line }) => outside.test(line) || bareInvariant(line)),
    )
    expect(hits).toEqual([])
  })

  it('cite only anchors that exist in docs/', () => {
    const cited = /docs\/([a-z0-9-]+\.md)#([a-z0-9-]+)/g
    const missing: string[] = []
    const anchors = new Map<string, Set<string>>()
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(cited)) {
        const [, doc = '', anchor = ''] = m
        const path = join(root, 'docs', doc)
        if (!anchors.has(doc)) anchors.set(doc, existsSync(path) ? anchorsOf(readFileSync(path, 'utf8')) : new Set())
        if (!anchors.get(doc)?.has(anchor)) missing.push(`${relative(root, f)}: docs/${doc}#${anchor}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('docs/architecture.md numbers every invariant from 1 to 18', () => {
    const text = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8')
    const numbers = [...text.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1]))
    expect(numbers).toEqual(Array.from({ length: 18 }, (_, i) => i + 1))
  })
})
