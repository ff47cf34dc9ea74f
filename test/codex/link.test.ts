/** Which symlinked auth.json the daemon writes through (daemon/codex/link.ts), case by case. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { inspectLink, withLink } from '../../daemon/codex/link.js'

const roots: string[] = []
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true })
})

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'oma-link-'))
  roots.push(d)
  return d
}

function fileWithMode(path: string, mode: number): string {
  writeFileSync(path, '{}', { mode })
  chmodSync(path, mode)
  return path
}

const me = process.getuid?.()

describe('inspectLink', () => {
  it('is undefined for a regular file and for a missing path', async () => {
    const d = dir()
    expect(await inspectLink(fileWithMode(join(d, 'auth.json'), 0o600))).toBeUndefined()
    expect(await inspectLink(join(d, 'absent.json'))).toBeUndefined()
  })

  it('writes through to a private file of this user, resolving a chain of links', async () => {
    const d = dir()
    const target = fileWithMode(join(d, 'real.json'), 0o600)
    symlinkSync(target, join(d, 'mid.json'))
    symlinkSync('mid.json', join(d, 'auth.json'))
    expect(await inspectLink(join(d, 'auth.json'), me)).toEqual({ target, writable: true })
  })

  it.each([0o640, 0o604, 0o660, 0o644])('refuses a target with group/other bits (%o)', async (mode) => {
    const d = dir()
    const target = fileWithMode(join(d, 'real.json'), mode)
    symlinkSync(target, join(d, 'auth.json'))
    const info = await inspectLink(join(d, 'auth.json'), me)
    expect(info).toMatchObject({ target, writable: false })
    expect(info?.reason).toContain(`mode ${mode.toString(8)}`)
  })

  it("refuses a target owned by another user (as seen from that user's uid)", async () => {
    const d = dir()
    const target = fileWithMode(join(d, 'real.json'), 0o600)
    symlinkSync(target, join(d, 'auth.json'))
    const other = (me ?? 0) + 4242
    expect(await inspectLink(join(d, 'auth.json'), other)).toEqual({
      target,
      writable: false,
      reason: `the link target is owned by another user (uid ${me ?? 0})`,
    })
  })

  it('refuses a directory, a dangling link (naming where it points) and a loop', async () => {
    const d = dir()
    mkdirSync(join(d, 'sub'))
    symlinkSync(join(d, 'sub'), join(d, 'to-dir'))
    expect(await inspectLink(join(d, 'to-dir'), me)).toEqual({
      target: join(d, 'sub'),
      writable: false,
      reason: 'the link target is not a regular file',
    })
    symlinkSync('nowhere/auth.json', join(d, 'dangling'))
    expect(await inspectLink(join(d, 'dangling'), me)).toEqual({
      target: join(d, 'nowhere', 'auth.json'),
      writable: false,
      reason: 'the link is dangling (its target does not exist)',
    })
    symlinkSync('loop-b', join(d, 'loop-a'))
    symlinkSync('loop-a', join(d, 'loop-b'))
    expect(await inspectLink(join(d, 'loop-a'), me)).toMatchObject({ writable: false, reason: 'the link loops' })
  })
})

describe('withLink', () => {
  it('sets, replaces and drops the link field without touching the rest', () => {
    const r = { path: '/p', at: 1, link: { target: '/old', writable: false } }
    expect(withLink(r, { target: '/t', writable: true })).toEqual({
      path: '/p',
      at: 1,
      link: { target: '/t', writable: true },
    })
    expect(withLink(r, undefined)).toEqual({ path: '/p', at: 1 })
  })
})
