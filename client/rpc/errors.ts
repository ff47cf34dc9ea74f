import { RpcError } from '../../protocol/errors.js'

/** Nothing answers on the socket: the one message every client shows. */
export class DaemonNotRunningError extends Error {
  constructor(
    readonly socketPath: string,
    cause?: string,
  ) {
    super(
      `no opencode-multi-auth daemon is answering at ${socketPath}${cause ? ` (${cause})` : ''}. ` +
        'Start it with `opencode-multi-auth daemon start` (or `npm start` in the project folder).',
    )
    this.name = 'DaemonNotRunningError'
  }
}

export class ProtocolSkewError extends Error {
  constructor(
    readonly daemonVersion: number,
    readonly clientVersion: number,
  ) {
    super(
      `the daemon speaks protocol ${daemonVersion} but this client speaks ${clientVersion}; ` +
        'restart the daemon so both come from the same install: `opencode-multi-auth daemon restart`.',
    )
    this.name = 'ProtocolSkewError'
  }
}

export class CallTimeoutError extends Error {
  constructor(
    readonly method: string,
    readonly ms: number,
  ) {
    super(`the daemon did not answer ${method} within ${ms} ms`)
    this.name = 'CallTimeoutError'
  }
}

export { RpcError }
