import { PROTOCOL_VERSION } from '../../protocol/version.js'
import type { Handlers } from '../server/dispatch.js'
import { readSettings } from '../settings/read.js'
import type { Components } from './context.js'

export function daemonHandlers(c: Components) {
  return {
    'daemon.status': () => {
      const data = c.store.data
      const force = c.rotation.force()
      const status = {
        version: c.version,
        protocolVersion: PROTOCOL_VERSION,
        pid: process.pid,
        startedAt: c.startedAt,
        socketPath: c.config.socketPath,
        storePath: c.store.path,
        codexAuthPath: c.config.codexAuthFile,
        logPath: c.config.logFile,
        encrypted: c.store.encrypted,
        accountCount: Object.keys(data.accounts).length,
        strategy: readSettings(data).rotationStrategy,
        activeAlias: data.activeAlias,
        force,
      }
      return c.store.recoveredFrom ? { ...status, recoveredFrom: c.store.recoveredFrom } : status
    },
    'daemon.shutdown': () => {
      c.requestShutdown()
      return { ok: true as const }
    },
    'logs.tail': ({ lines }) => ({ lines: c.logger.tail(lines ?? 100) }),
  } satisfies Partial<Handlers>
}
