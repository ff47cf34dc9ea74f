import { promises as fs } from 'node:fs'
import { connect } from 'node:net'
import { dirname } from 'node:path'
import { byteLength, MAX_SOCKET_PATH_BYTES } from '../../protocol/paths.js'

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
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  const st = await fs.lstat(dir)
  if (!st.isDirectory()) throw new SocketSetupError(`${dir} is not a directory`)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) {
    throw new SocketSetupError(
      `socket directory ${dir} belongs to uid ${st.uid}, not to us (uid ${uid}); refusing to use it`,
    )
  }
  if ((st.mode & 0o077) !== 0) {
    // We own it, so tightening it is safe and what the user wants.
    await fs.chmod(dir, 0o700)
  }
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
