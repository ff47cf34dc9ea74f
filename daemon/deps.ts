/**
 * Dependencies every component receives from the composition root instead of
 * reaching for globals, so tests can inject a clock, a fetch or a logger.
 */
export interface Timer {
  unref?(): unknown
}

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): Timer
  clearTimeout(timer: Timer): void
  /** Resolves after ms; for retry back-off. */
  sleep(ms: number): Promise<void>
}

export type LogMeta = Record<string, unknown>

export interface Logger {
  error(message: string, meta?: LogMeta): void
  warn(message: string, meta?: LogMeta): void
  info(message: string, meta?: LogMeta): void
  debug(message: string, meta?: LogMeta): void
}

export type FetchFn = typeof fetch

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
}
