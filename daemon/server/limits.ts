import { MAX_FRAME_BYTES } from '../../protocol/framing.js'

/**
 * What one connection may cost the daemon (docs/architecture.md, "Resource
 * bounds"): every number here caps memory or work a client can make us hold.
 */
export interface ConnectionLimits {
  /** Calls (batch entries count one each) running at once on one connection. */
  maxInFlight: number
  /** Entries in one batch frame. */
  maxBatch: number
  /** Bytes of one answer line; a bigger answer becomes an error answer. */
  maxAnswerBytes: number
  /** Unsent answer bytes above which reading stops until the client drains. */
  maxUnsentBytes: number
  /** A connection that stays above maxUnsentBytes this long is closed. */
  drainTimeoutMs: number
  /** Unread event bytes after which a subscriber is dropped. */
  maxEventBacklogBytes: number
  /** A connection with nothing in flight and no subscription is closed after this long without input. */
  idleMs: number
  /** An unterminated frame must be completed within this long. */
  partialFrameMs: number
}

export interface ServerLimits extends ConnectionLimits {
  /** Connections served at once; one more is answered with an error and closed. */
  maxConnections: number
  /** Bytes of unterminated frames held across all connections. */
  maxPartialBytesTotal: number
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxInFlight: 64,
  maxBatch: 100,
  maxAnswerBytes: MAX_FRAME_BYTES,
  maxUnsentBytes: MAX_FRAME_BYTES,
  drainTimeoutMs: 30_000,
  maxEventBacklogBytes: 4 * MAX_FRAME_BYTES,
  idleMs: 5 * 60_000,
  partialFrameMs: 30_000,
  maxConnections: 256,
  maxPartialBytesTotal: 8 * MAX_FRAME_BYTES,
}

/** A counting semaphore: at most `max` jobs run, the rest wait in order. */
export class Slots {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number) {}

  get busy(): number {
    return this.active
  }

  get queued(): number {
    return this.waiting.length
  }

  get free(): boolean {
    return this.active < this.max && this.waiting.length === 0
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++
    // The slot is handed over by release(), so active never drops below the running count.
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await job()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
