/**
 * Socket activation (systemd's sd_listen_fds protocol): the service manager
 * binds the socket, passes it as fd 3 and says so with LISTEN_FDS / LISTEN_PID.
 * A client that connects before the daemon is up waits in the backlog instead
 * of failing, and no client ever has to spawn the daemon itself.
 */
export const SD_LISTEN_FDS_START = 3

export interface ListenFdsEnv {
  LISTEN_FDS?: string
  LISTEN_PID?: string
  LISTEN_FDNAMES?: string
}

/**
 * The inherited listening fd, or undefined when we were not socket-activated.
 * LISTEN_PID must name us: a variable inherited from a parent that was itself
 * activated is not meant for this process. The variables are removed either
 * way so no child of ours mistakes them for its own.
 */
export function takeListenFd(env: Record<string, string | undefined>, pid: number): number | undefined {
  const fds = Number.parseInt(env.LISTEN_FDS ?? '', 10)
  const forPid = Number.parseInt(env.LISTEN_PID ?? '', 10)
  delete env.LISTEN_FDS
  delete env.LISTEN_PID
  delete env.LISTEN_FDNAMES
  if (!Number.isSafeInteger(fds) || fds < 1 || forPid !== pid) return undefined
  return SD_LISTEN_FDS_START
}
