export { RpcClient, callOnce, type ConnectOptions, type CallOptions } from './client.js'
export { DaemonNotRunningError, ProtocolSkewError, CallTimeoutError, RpcError } from './errors.js'
