import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PACKAGE_VERSION } from '../../protocol/version.js'

const root = join(import.meta.dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
  bin: Record<string, string>
  main: string
}

describe('the published build', () => {
  // Inside the project, so the compiled files resolve their dependencies from node_modules.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true })
  const out = mkdtempSync(join(root, 'node_modules', '.cache', 'oma-dist-'))
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('keeps protocol/version.ts in step with package.json', () => {
    expect(PACKAGE_VERSION).toBe(pkg.version)
  })

  it('compiles with tsc and both bins run from it with plain node', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(out, 'dist')], {
      cwd: root,
    })
    for (const [name, rel] of Object.entries(pkg.bin)) {
      const file = join(out, rel)
      const printed = execFileSync(process.execPath, [file, '--version'], { encoding: 'utf8' }).trim()
      expect(printed, name).toBe(pkg.version)
    }
    expect(pkg.main.startsWith('./dist/')).toBe(true)
  }, 120_000)
})
