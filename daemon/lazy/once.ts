/**
 * A component built on first use (docs/performance.md, "Start-up"): the import and the
 * constructor run once, callers that arrive while it loads share the one promise, and a
 * failed import is retried by the next caller instead of failing every call after it.
 */
export interface Deferred<T> {
  /** The component, loading it on the first call. */
  get(): Promise<T>
  /** The component if it has been loaded, else undefined (a stop must not load it). */
  readonly loaded: T | undefined
  /** get() has been called (the component is loaded or loading). */
  readonly asked: boolean
  /** For a stop: the component once loaded if it was ever asked for, else (or if it failed to load) undefined. */
  ifAsked(): Promise<T | undefined>
}

export function deferred<T>(load: () => Promise<T>): Deferred<T> {
  let value: T | undefined
  let pending: Promise<T> | undefined
  return {
    get() {
      pending ??= load().then(
        (v) => (value = v),
        (err: unknown) => {
          pending = undefined
          throw err
        },
      )
      return pending
    },
    get loaded() {
      return value
    },
    get asked() {
      return pending !== undefined || value !== undefined
    },
    async ifAsked() {
      return pending ? pending.catch(() => undefined) : value
    },
  }
}
