import type { Clock, Timer } from '../../daemon/deps.js'

interface Pending {
  at: number
  fn: () => void
  id: number
}

/** A manual clock: time moves only when a test calls advance(). */
export class FakeClock implements Clock {
  private pending: Pending[] = []
  private seq = 0
  /** Awaited after each fired timer, for work that outlives a few ticks (real file I/O). */
  settle: () => Promise<void> = async () => {}

  constructor(private current = Date.UTC(2026, 10, 28, 12, 0, 0)) {}

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const p = { at: this.current + Math.max(0, ms), fn, id: ++this.seq }
    this.pending.push(p)
    return p as unknown as Timer
  }

  clearTimeout(timer: Timer): void {
    this.pending = this.pending.filter((p) => p !== (timer as unknown as Pending))
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }

  /** Timers still waiting, soonest first. */
  get timers(): number[] {
    return this.pending.map((p) => p.at).sort((a, b) => a - b)
  }

  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms
    for (;;) {
      await flush()
      const next = this.pending.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!next) break
      this.pending = this.pending.filter((p) => p !== next)
      this.current = Math.max(this.current, next.at)
      next.fn()
      await this.settle()
    }
    this.current = target
    await flush()
  }

  set(ms: number): void {
    this.current = ms
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r))
}
