/**
 * The daemon runs with the same Node options however it is started (client/launcher.ts
 * DAEMON_NODE_OPTIONS): autostart and the service units through daemonCommand(), `npm start`
 * through package.json, which cannot import them.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DAEMON_NODE_OPTIONS, daemonCommand } from '../../client/launcher.js'

const root = join(import.meta.dirname, '..', '..')

describe("the daemon's Node options", () => {
  it('cap the young generation (an idle daemon keeps no 16 MB semi-spaces)', () => {
    expect(DAEMON_NODE_OPTIONS).toContain('--max-semi-space-size=2')
  })

  it('come before the script in the launcher command (what autostart and the service units run)', () => {
    const { args } = daemonCommand('/usr/bin/node')
    const script = args.findIndex((a) => /daemon[/\\]main\.(ts|js)$/.test(a))
    expect(script).toBeGreaterThan(0)
    expect(args.slice(0, DAEMON_NODE_OPTIONS.length)).toEqual([...DAEMON_NODE_OPTIONS])
  })

  it('are the options of `npm start`', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
    expect(pkg.scripts.start).toBe(`node ${DAEMON_NODE_OPTIONS.join(' ')} scripts/start.mjs`)
  })
})
