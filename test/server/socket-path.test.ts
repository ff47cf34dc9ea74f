/**
 * The socket path is the user's to choose, so the daemon touches only what is
 * clearly its own: it removes nothing but a stale socket (never a regular file
 * someone pointed OPENCODE_MULTI_AUTH_SOCKET at), and tightens only a directory
 * it created or one named for it; any other directory open to group/others is
 * refused with a message, its mode left alone.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../../daemon/deps.js'
import { createDispatcher } from '../../daemon/server/dispatch.js'
import { prepareSocketDir, removeStaleSocket, SocketSetupError } from '../../daemon/server/socket-path.js'
import { SocketServer } from '../../daemon/server/socket-server.js'

const mode = (p: string): number => statSync(p).mode & 0o777
let root: string
afterEach(() => rmSync(root, { recursive: true, force: true }))

function fresh(): string {
  root = mkdtempSync(join(tmpdir(), 'oma-sp-'))
  return root
}

describe('socket path handling', () => {
  it('refuses to remove a regular file at the socket path, leaving it as it was', async () => {
    const dir = join(fresh(), 'opencode-multi-auth')
    mkdirSync(dir, { mode: 0o700 })
    const path = join(dir, 'd.sock')
    writeFileSync(path, 'my notes')
    const server = new SocketServer({ path, dispatcher: createDispatcher({}, silentLogger), logger: silentLogger })
    const err = await server.listen().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SocketSetupError)
    expect((err as Error).message).toMatch(/is not a socket; refusing to remove it/)
    expect(readFileSync(path, 'utf8')).toBe('my notes')
  })

  // A stale socket left by kill -9 is replaced: test/server/crash-restart.test.ts.
  it('has nothing to remove when the path is absent', async () => {
    const path = join(fresh(), 'absent.sock')
    await removeStaleSocket(path)
    expect(existsSync(path)).toBe(false)
  })

  it('tightens a directory it creates, and one named for it', async () => {
    const made = join(fresh(), 'new', 'deeper')
    await prepareSocketDir(join(made, 'd.sock'))
    expect(mode(made)).toBe(0o700)
    const named = join(root, 'opencode-multi-auth')
    mkdirSync(named)
    chmodSync(named, 0o755)
    await prepareSocketDir(join(named, 'd.sock'))
    expect(mode(named)).toBe(0o700)
  })

  it('refuses a directory of someone else’s choosing that is open to others, leaving its mode alone', async () => {
    const home = join(fresh(), 'home')
    mkdirSync(home)
    chmodSync(home, 0o755)
    const err = await prepareSocketDir(join(home, 'oma.sock')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SocketSetupError)
    expect((err as Error).message).toMatch(/open to group\/others \(mode 755\).*chmod 700/)
    expect(mode(home)).toBe(0o755)
    // Private already: used as it is.
    chmodSync(home, 0o700)
    await prepareSocketDir(join(home, 'oma.sock'))
  })
})
