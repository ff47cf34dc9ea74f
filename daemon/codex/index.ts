import type { AccountService } from '../accounts/service.js'
import type { DaemonConfig } from '../config.js'
import type { Clock, Logger } from '../deps.js'
import type { AccountStore } from '../store/store.js'
import type { Refresher } from '../tokens/refresher.js'
import type { StoreFs } from '../store/fs.js'
import { flockCommandLock, type SpawnFn } from './lock.js'
import { CodexSync } from './sync.js'

export { CodexSync } from './sync.js'

/** The composition root's one call: Codex sync on the resolved auth.json path, with the flock(1) lock. */
export function createCodexSync(
  config: DaemonConfig,
  deps: {
    accounts: AccountService
    store: AccountStore
    refresher: Refresher
    clock: Clock
    logger: Logger
    fs: StoreFs
    spawn: SpawnFn
  },
): CodexSync {
  const { spawn, ...rest } = deps
  return new CodexSync({
    file: config.codexAuthFile,
    ...rest,
    lock: flockCommandLock({ spawn, clock: deps.clock, logger: deps.logger }),
  })
}
