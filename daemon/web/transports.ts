import { isServedOver } from '../../protocol/methods.js'

/** Whether the dashboard's `POST /rpc` may call a method: the contract's `transports` decide. */
export function servedOverHttp(method: string): boolean {
  return isServedOver(method, 'http')
}
