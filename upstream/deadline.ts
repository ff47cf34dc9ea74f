/**
 * The one fetch-with-deadline, for the daemon (issuer, usage endpoint) and the
 * plugin (the ChatGPT backend) alike: web-standard APIs only, so it runs in
 * Node and in OpenCode's Bun.
 *
 * The deadline both aborts the request and is raced against it, so a fetch or
 * a body that ignores its signal still cannot hang the caller. A caller's own
 * signal aborts the request too; it is followed through AbortSignal.any, never
 * by a listener on it (OpenCode reuses one signal for a whole agent loop, and a
 * listener per request would pile up).
 */

/** The timer half of a clock (the daemon injects its Clock; the plugin passes none). */
export interface DeadlineTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}

const globalTimers: DeadlineTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
}

/** The work did not finish within `ms`. */
export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'DeadlineError'
  }
}

export interface DeadlineOptions {
  ms: number
  /** The caller's abort (a stopping daemon, a cancelled request): rejects with its reason. */
  signal?: AbortSignal
  timers?: DeadlineTimers
  /** The error for a missed deadline (default DeadlineError); also the abort reason. */
  timeoutError?: () => Error
  /** When given, the request stays abortable through it after the work finished (a streamed body). */
  controller?: AbortController
  /** Never let this timer keep the process alive. */
  unref?: boolean
}

/**
 * Runs `work(signal)` — typically a fetch and the reading of its answer — with
 * a hard deadline. Rejects with the timeout error, with the caller's abort
 * reason, or with what the work threw.
 */
export async function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, opts: DeadlineOptions): Promise<T> {
  opts.signal?.throwIfAborted()
  const timers = opts.timers ?? globalTimers
  const ac = opts.controller ?? new AbortController()
  const signal = opts.signal ? AbortSignal.any([opts.signal, ac.signal]) : ac.signal
  let timer: unknown
  let onAbort = (): void => {}
  const stop = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => {
      const err = opts.timeoutError?.() ?? new DeadlineError(opts.ms)
      ac.abort(err)
      reject(err)
    }, opts.ms)
    if (opts.unref) (timer as { unref?: () => unknown } | undefined)?.unref?.()
    // On the combined signal (made for this call), not on the caller's; the catch below names the reason.
    onAbort = () => reject(new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  stop.catch(() => {}) // settles after the work won: nobody awaits it then
  const running = work(signal)
  running.catch(() => {}) // the deadline may win; the loser's rejection is expected
  try {
    return await Promise.race([running, stop])
  } catch (err) {
    // A fetch aborted by us rejects with a generic AbortError: name the real cause.
    if (opts.signal?.aborted) throw opts.signal.reason ?? err
    if (ac.signal.aborted && ac.signal.reason instanceof Error) throw ac.signal.reason
    throw err
  } finally {
    timers.clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

/** `fetch(url, init)` and `read(response)` under one deadline (see withDeadline). */
export function fetchWithDeadline<T>(
  fetchFn: typeof fetch,
  url: string,
  init: RequestInit,
  read: (res: Response) => Promise<T>,
  opts: DeadlineOptions,
): Promise<T> {
  return withDeadline(async (signal) => read(await fetchFn(url, { ...init, signal })), opts)
}
