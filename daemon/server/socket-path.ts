import { promises as fs } from 'node:fs'
import { connect } from 'node:net'
import { basename, dirname } from 'node:path'
import { APP, byteLength, MAX_SOCKET_PATH_BYTES } from '../../protocol/paths.js'

export class SocketSetupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SocketSetupError'
  }
}

/**
 * Makes sure the socket's directory exists, belongs to us and is private.
 * Checked at every start: a directory someone else can write to would let
 * them swap the socket for their own.
 */
export async function prepareSocketDir(socketPath: string): Promise<void> {
  if (byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new SocketSetupError(
      `socket path is ${byteLength(socketPath)} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets: ${socketPath}. ` +
        'Set OPENCODE_MULTI_AUTH_SOCKET to a shorter path.',
    )
  }
  const dir = dirname(socketPath)
  // mkdir answers the first directory it made: undefined when `dir` was already there.
  const created = (await fs.mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined
  const st = await fs.lstat(dir)
  if (!st.isDirectory()) throw new SocketSetupError(`${dir} is not a directory`)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) {
    throw new SocketSetupError(
      `socket directory ${dir} belongs to uid ${st.uid}, not to us (uid ${uid}); refusing to use it`,
    )
  }
  if ((st.mode & 0o077) === 0) return
  // Ours to tighten only if we made it or it is named for us; anything else (a home
  // directory, a shared folder) the user set up that way, and chmod'ing it would surprise them.
  if (created || basename(dir) === APP) {
    await fs.chmod(dir, 0o700)
    return
  }
  throw new SocketSetupError(
    `socket directory ${dir} is open to group/others (mode ${(st.mode & 0o777).toString(8)}): another user could ` +
      `replace the socket. Use a private directory (chmod 700 ${dir}, or point OPENCODE_MULTI_AUTH_SOCKET into ` +
      `a directory of its own)`,
  )
}

/**
 * Removes what a crashed daemon left at the socket path, and only that: a
 * regular file or anything else that is not a socket is refused, never deleted.
 */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  const st = await fs.lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (!st) return
  if (!st.isSocket()) {
    throw new SocketSetupError(
      `${socketPath} exists and is not a socket; refusing to remove it. Move it away or set OPENCODE_MULTI_AUTH_SOCKET to another path`,
    )
  }
  await fs.rm(socketPath, { force: true })
}

/** 'live' when a daemon answers, 'stale' when a socket file is left by a crash, 'absent' otherwise. */
export function probeSocket(socketPath: string, timeoutMs = 1000): Promise<'live' | 'stale' | 'absent'> {
  return new Promise((resolve) => {
    const sock = connect(socketPath)
    const timer = setTimeout(() => {
      sock.destroy()
      resolve('live') // Something holds it and is too busy to answer: do not steal it.
    }, timeoutMs)
    sock.once('connect', () => {
      clearTimeout(timer)
      sock.destroy()
      resolve('live')
    })
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(err.code === 'ENOENT' ? 'absent' : 'stale')
    })
  })
}
