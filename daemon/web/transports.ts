import { isMethodName } from '../../protocol/methods.js'

/** The page never holds a token: these stay on the socket (docs/protocol.md, "Transports"). */
const SOCKET_ONLY = new Set<string>(['token.get', 'token.report', 'accounts.add'])

/** Whether the dashboard's `POST /rpc` may call a method. */
export function servedOverHttp(method: string): boolean {
  return isMethodName(method) && !SOCKET_ONLY.has(method)
}
