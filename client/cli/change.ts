import { OneshotLockedError } from '../oneshot.js'
import { DaemonNotRunningError } from '../rpc/errors.js'

export interface ChangeDeps<T> {
  viaSocket(): Promise<T>
  viaOneshot(): Promise<T>
  /** Told when the store was changed without a daemon. */
  noteDirect(): void
  sleep(ms: number): Promise<void>
  /** How long to keep asking a daemon that took the store lock but is not answering yet. */
  retryMs?: number
  now?: () => number
}

/**
 * An account change: through the daemon when one answers, else by the one-shot
 * under the store lock. A daemon that starts between the two holds the lock and
 * refuses the one-shot; then the change goes to that daemon once it answers.
 */
export async function changeThroughDaemonOrOneshot<T>(deps: ChangeDeps<T>): Promise<T> {
  try {
    return await deps.viaSocket()
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError)) throw err
  }
  let locked: OneshotLockedError
  try {
    const result = await deps.viaOneshot()
    deps.noteDirect()
    return result
  } catch (err) {
    if (!(err instanceof OneshotLockedError)) throw err
    locked = err
  }
  const now = deps.now ?? Date.now
  const deadline = now() + (deps.retryMs ?? 5_000)
  for (;;) {
    try {
      return await deps.viaSocket()
    } catch (err) {
      if (!(err instanceof DaemonNotRunningError)) throw err
      // Whatever holds the lock is not a daemon that answers: say who holds it.
      if (now() >= deadline) throw locked
      await deps.sleep(100)
    }
  }
}
