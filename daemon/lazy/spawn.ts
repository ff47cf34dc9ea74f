import type { SpawnFn } from '../codex/lock.js'

/** child_process.spawn, loaded by the first Codex write that takes the flock(1) lock rather than at start. */
export const spawnLazily = ((...args: unknown[]) =>
  (process.getBuiltinModule('node:child_process').spawn as (...a: unknown[]) => unknown)(...args)) as SpawnFn
