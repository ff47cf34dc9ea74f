import type { Socket } from 'node:net'
import type { JSONRPCResponse, JSONRPCServer } from 'json-rpc-2.0'
import { encodeFrame, FrameTooLargeError, LineDecoder } from '../../protocol/framing.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Clock, Logger, Timer } from '../deps.js'
import { receiveLine, type CallContext, type LineOptions } from './dispatch.js'
import { Slots, type ConnectionLimits } from './limits.js'

/** Shared by every connection: bytes of unterminated frames held, against one budget. */
export interface PartialBudget {
  held: number
  readonly max: number
}

export interface ConnectionDeps {
  dispatcher: JSONRPCServer<CallContext>
  logger: Logger
  clock: Clock
  limits: ConnectionLimits
  budget: PartialBudget
  /** Calls under way on this connection changed by `delta` (for the server's shutdown drain). */
  onCalls(delta: number): void
}

type Answer = JSONRPCResponse | JSONRPCResponse[]

/**
 * One client connection, bounded in everything it can make the daemon hold:
 * frames in (1 MiB, a budget for unterminated ones, a deadline to finish one),
 * calls in flight, answers out (1 MiB each; reading stops while unsent answers
 * pile up, and a client that never drains is closed), one event subscription,
 * and an idle timeout. A half-closed client still gets every answer.
 */
export class Connection {
  private readonly decoder = new LineDecoder()
  private readonly slots: Slots
  private readonly lines: string[] = []
  private readonly closers: (() => void)[] = []
  private subscription: (() => void) | undefined
  private linesRunning = 0
  private closing = false
  private readEnded = false
  private partialHeld = 0
  private idleTimer: Timer | undefined
  private lastActive = 0
  private frameTimer: Timer | undefined
  private drainTimer: Timer | undefined
  readonly ctx: CallContext
  /** Built once: the hot path allocates no options or closures per call. */
  private readonly lineOptions: LineOptions

  constructor(
    readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.slots = new Slots(deps.limits.maxInFlight)
    this.lineOptions = { maxBatch: deps.limits.maxBatch, run: (call) => this.slots.run(call) }
    this.ctx = {
      notify: (method, params) => this.notify(method, params),
      onClose: (fn) => this.closers.push(fn),
      setSubscription: (off) => {
        const previous = this.subscription
        this.subscription = off
        previous?.()
      },
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => {
      this.readEnded = true
      this.finishIfDone()
    })
    socket.on('drain', () => this.flow())
    socket.on('error', () => {
      // A client that vanishes mid-call is not our problem; 'close' cleans up.
    })
    socket.on('close', () => this.onClose())
    this.armIdle()
  }

  private get busy(): boolean {
    return this.linesRunning > 0 || this.lines.length > 0
  }

  private onData(chunk: Buffer): void {
    // Nothing more is read from a connection we are closing.
    if (this.closing) return
    let lines: string[]
    try {
      lines = this.decoder.push(chunk)
    } catch (err) {
      if (!(err instanceof FrameTooLargeError)) throw err
      this.refuse(err.message, 'it sent an oversized frame', { bytes: err.size })
      return
    }
    if (!this.trackPartial()) return
    this.armIdle()
    this.lines.push(...lines)
    this.pump()
  }

  /** Accounts this connection's unterminated frame against the shared budget; false if it was closed. */
  private trackPartial(): boolean {
    const now = this.decoder.buffered
    const { budget, limits } = this.deps
    budget.held += now - this.partialHeld
    this.partialHeld = now
    if (now === 0) {
      if (this.frameTimer) this.deps.clock.clearTimeout(this.frameTimer)
      this.frameTimer = undefined
      return true
    }
    if (budget.held > budget.max) {
      this.refuse(
        'the daemon holds too much unterminated input from its clients; finish each line with \\n',
        'the unterminated input of all clients is over its budget',
        { bytes: now, heldBytes: budget.held },
      )
      return false
    }
    this.frameTimer ??= this.timer(() => {
      this.frameTimer = undefined
      if (this.decoder.buffered > 0)
        this.refuse(
          `a frame was not finished (no newline) within ${limits.partialFrameMs} ms`,
          'it left a frame unfinished',
          { bytes: this.decoder.buffered },
        )
    }, limits.partialFrameMs)
    return true
  }

  /** Starts queued lines while calls are free and answers are being read. */
  private pump(): void {
    while (this.lines.length > 0 && this.slots.free && !this.writeBlocked && !this.closing) {
      const line = this.lines.shift() as string
      void this.handle(line)
    }
    this.flow()
  }

  private get writeBlocked(): boolean {
    return this.socket.writableLength > this.deps.limits.maxUnsentBytes
  }

  /** Reading stops while lines wait or answers pile up unsent, so the kernel pushes back on the client. */
  private flow(): void {
    if (this.closing) return
    const blocked = this.writeBlocked
    if (blocked) {
      this.drainTimer ??= this.timer(() => {
        this.drainTimer = undefined
        if (!this.writeBlocked) return
        this.deps.logger.warn('closing a connection that does not read its answers', {
          unsentBytes: this.socket.writableLength,
        })
        this.socket.destroy()
      }, this.deps.limits.drainTimeoutMs)
    } else if (this.drainTimer) {
      this.deps.clock.clearTimeout(this.drainTimer)
      this.drainTimer = undefined
    }
    if (blocked || this.lines.length > 0) this.socket.pause()
    else if (!this.readEnded) this.socket.resume()
    if (!blocked && this.lines.length > 0 && this.slots.free) this.pump()
  }

  private async handle(line: string): Promise<void> {
    this.linesRunning++
    this.deps.onCalls(1)
    try {
      const answer = await receiveLine(this.deps.dispatcher, line, this.ctx, this.lineOptions)
      if (answer) this.send(this.bounded(answer))
    } catch (err) {
      this.deps.logger.error('failed to dispatch a request', {
        error: err instanceof Error ? err.message : String(err),
      })
    } finally {
      this.linesRunning--
      this.deps.onCalls(-1)
      this.armIdle()
      this.pump()
      this.finishIfDone()
    }
  }

  /** An answer over the frame limit would be a line no client may accept: say so instead. */
  private bounded(answer: Answer): string {
    const text = encodeFrame(answer)
    const max = this.deps.limits.maxAnswerBytes
    // A UTF-16 unit is at most 3 bytes of UTF-8: the common answer is not scanned.
    if (text.length * 3 <= max || Buffer.byteLength(text) <= max) return text
    const tooBig = (r: JSONRPCResponse): JSONRPCResponse => ({
      jsonrpc: '2.0',
      id: r.id,
      error: {
        code: ErrorCode.INTERNAL_ERROR,
        message: `the answer exceeds the ${max}-byte frame limit; ask for less (e.g. fewer calls per batch)`,
        data: { maxAnswerBytes: max },
      },
    })
    this.deps.logger.warn('replaced an answer over the frame limit with an error', { bytes: Buffer.byteLength(text) })
    return encodeFrame(Array.isArray(answer) ? answer.map(tooBig) : tooBig(answer))
  }

  private send(text: string): void {
    if (this.socket.destroyed || !this.socket.writable) return
    this.socket.write(text)
    this.flow()
  }

  private notify(method: string, params: unknown): void {
    // A subscriber that stopped reading must not make the daemon buffer without end.
    if (this.socket.writableLength > this.deps.limits.maxEventBacklogBytes) {
      this.deps.logger.warn('closing a subscriber that stopped reading its events', {
        backlogBytes: this.socket.writableLength,
      })
      this.socket.destroy()
      return
    }
    const text = encodeFrame({ jsonrpc: '2.0', method, params })
    if (Buffer.byteLength(text) > this.deps.limits.maxAnswerBytes) {
      this.deps.logger.warn('dropped an event over the frame limit', { method })
      return
    }
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text)
  }

  /** Half-closed by the client: once the last answer is written, end our side too. */
  private finishIfDone(): void {
    if (this.readEnded && !this.busy && !this.closing && !this.socket.destroyed) {
      this.closing = true
      this.socket.end()
    }
  }

  /** Timers of a connection never keep a stopping daemon alive. */
  private timer(fn: () => void, ms: number): Timer {
    const t = this.deps.clock.setTimeout(fn, ms)
    t.unref?.()
    return t
  }

  /**
   * Marks activity. The timer is not re-created per call (two timer operations on every
   * request): it fires idleMs after it was armed and, if there was activity since, waits
   * out the rest.
   */
  private armIdle(): void {
    this.lastActive = this.deps.clock.now()
    this.idleTimer ??= this.timer(() => this.onIdleTimer(), this.deps.limits.idleMs)
  }

  private onIdleTimer(): void {
    this.idleTimer = undefined
    const left = this.lastActive + this.deps.limits.idleMs - this.deps.clock.now()
    if (left > 0) {
      this.idleTimer = this.timer(() => this.onIdleTimer(), left)
      return
    }
    if (this.busy || this.subscription || this.closing) return this.armIdle()
    this.deps.logger.debug('closing an idle connection', { idleMs: this.deps.limits.idleMs })
    this.closing = true
    this.socket.end()
    this.socket.destroySoon()
  }

  /** Tells the client why, then closes: used for input we will not take. */
  private refuse(message: string, why: string, meta: Record<string, unknown>): void {
    this.closing = true
    this.deps.logger.warn(`closing a connection: ${why}`, meta)
    this.socket.pause()
    if (!this.socket.destroyed && this.socket.writable)
      this.socket.write(encodeFrame({ jsonrpc: '2.0', id: null, error: { code: ErrorCode.INVALID_REQUEST, message } }))
    this.socket.end()
    this.socket.destroySoon()
    this.releasePartial()
  }

  private releasePartial(): void {
    this.deps.budget.held -= this.partialHeld
    this.partialHeld = 0
  }

  /** Graceful stop: end our side once current answers are out. */
  end(): void {
    this.closing = true
    this.socket.end()
  }

  private onClose(): void {
    this.closing = true
    this.releasePartial()
    for (const t of [this.idleTimer, this.frameTimer, this.drainTimer]) if (t) this.deps.clock.clearTimeout(t)
    this.subscription?.()
    this.subscription = undefined
    for (const fn of this.closers) fn()
  }
}
