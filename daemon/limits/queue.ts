import type { LimitsQueueState } from '../../protocol/methods.js'
import type { Logger } from '../deps.js'

/** The last outcome is kept for this many aliases (oldest forgotten first). */
export const MAX_RESULTS = 200

export type ProbeOutcome = { ok: boolean; error?: string }
export type ProbeFn = (alias: string, signal: AbortSignal) => Promise<ProbeOutcome>
/** Runs once the outcome is in the queue's state (so a reader told by it sees the state settled). */
export type DoneFn = (alias: string, outcome: ProbeOutcome) => void

/**
 * Aliases probed one at a time, in the order asked. The loop is a promise
 * chain with no timer of its own, so an empty queue costs nothing and never
 * keeps the process alive.
 */
export class ProbeQueue {
  private queued: string[] = []
  private running: string | null = null
  private readonly results = new Map<string, ProbeOutcome>()
  private loop: Promise<void> = Promise.resolve()
  /** Set and cleared synchronously by run(), so an alias added as the loop ends is never stranded. */
  private busy = false
  private controller = new AbortController()
  private closed = false

  constructor(
    private readonly probe: ProbeFn,
    private readonly onDone: DoneFn,
    private readonly logger: Logger,
  ) {}

  /** Adds the aliases not already waiting or running, and starts the loop if idle. */
  add(aliases: readonly string[]): LimitsQueueState {
    if (this.closed) return this.state()
    for (const a of aliases) if (a !== this.running && !this.queued.includes(a)) this.queued.push(a)
    if (!this.busy) this.loop = this.run()
    return this.state()
  }

  /** Removes one alias (or all) from the waiting list; returns what was removed. */
  drop(alias?: string): string[] {
    const dropped = alias === undefined ? this.queued : this.queued.filter((a) => a === alias)
    this.queued = alias === undefined ? [] : this.queued.filter((a) => a !== alias)
    return dropped
  }

  state(): LimitsQueueState {
    return {
      queued: [...this.queued],
      running: this.running,
      results: [...this.results].map(([alias, r]) =>
        r.error === undefined ? { alias, ok: r.ok } : { alias, ok: r.ok, error: r.error },
      ),
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.queued = []
    this.controller.abort()
    await this.loop
  }

  private async run(): Promise<void> {
    this.busy = true
    try {
      for (let alias = this.queued.shift(); alias !== undefined && !this.closed; alias = this.queued.shift()) {
        this.running = alias
        let outcome: ProbeOutcome
        try {
          outcome = await this.probe(alias, this.controller.signal)
        } catch (err) {
          // An unexpected failure must not stop the queue; its text stays in the log only.
          this.logger.error('limits probe crashed', { alias, error: err instanceof Error ? err.stack : String(err) })
          outcome = { ok: false, error: 'internal error; see the daemon log' }
        }
        this.running = null
        this.remember(alias, outcome)
        try {
          this.onDone(alias, outcome)
        } catch (err) {
          this.logger.warn('limits probe listener failed', {
            alias,
            error: err instanceof Error ? err.message : String(err),
          })
        }
      }
    } finally {
      this.busy = false
    }
  }

  private remember(alias: string, outcome: ProbeOutcome): void {
    this.results.delete(alias)
    this.results.set(alias, outcome)
    while (this.results.size > MAX_RESULTS) this.results.delete(this.results.keys().next().value as string)
  }
}
