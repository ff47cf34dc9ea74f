import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GENERATED_BEGIN, GENERATED_END, renderProtocolDoc } from '../../protocol/docs.js'
import { methods } from '../../protocol/methods.js'

const file = join(import.meta.dirname, '..', '..', 'docs', 'protocol.md')

describe('docs/protocol.md', () => {
  it('holds the tables rendered from protocol/ (run `npm run docs` after changing the table)', () => {
    const committed = readFileSync(file, 'utf8')
    expect(committed).toContain(GENERATED_BEGIN)
    expect(renderProtocolDoc(committed)).toBe(committed)
  })

  it('the renderer keeps the prose around the markers and lists every method', () => {
    const doc = `intro\n\n${GENERATED_BEGIN}\nstale\n${GENERATED_END}\n\noutro\n`
    const out = renderProtocolDoc(doc)
    expect(out.startsWith('intro\n\n')).toBe(true)
    expect(out.endsWith('\n\noutro\n')).toBe(true)
    expect(out).not.toContain('stale')
    for (const name of Object.keys(methods)) expect(out).toContain(`| \`${name}\` |`)
    expect(out).toMatch(/\| `token\.get` \|.*\| socket \|$/m)
    expect(out).toContain('| -32002 | NO_ELIGIBLE_ACCOUNTS |')
  })
})
