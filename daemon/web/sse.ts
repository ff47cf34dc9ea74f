import type { ServerResponse } from 'node:http'
import type { JSONRPCServer } from 'json-rpc-2.0'
import { EVENT_NOTIFICATION } from '../../protocol/methods.js'
import { receiveLine, type CallContext } from '../server/dispatch.js'
import { MAX_SUBSCRIBER_BACKLOG } from '../server/socket-server.js'
import { refuse, SECURITY_HEADERS } from './guards.js'

/** Event streams open at once (a few tabs); past this a new one gets 503. */
export const MAX_EVENT_STREAMS = 8

/**
 * `GET /events`: the socket's `events.subscribe`, called through the same
 * dispatcher, with notifications written as Server-Sent Events. A stream that
 * stops reading is closed once its unsent events pass the socket's backlog cap.
 */
export class EventStreams {
  private readonly open_ = new Set<ServerResponse>()

  constructor(
    private readonly dispatcher: JSONRPCServer<CallContext>,
    private readonly logger: { warn(message: string, meta?: Record<string, unknown>): void },
    private readonly maxBacklogBytes = MAX_SUBSCRIBER_BACKLOG,
  ) {}

  get size(): number {
    return this.open_.size
  }

  open(res: ServerResponse): void {
    if (this.open_.size >= MAX_EVENT_STREAMS) return refuse(res, 503, 'too many event streams')
    this.open_.add(res)
    const closers: (() => void)[] = []
    let closed = false
    res.on('close', () => {
      closed = true
      this.open_.delete(res)
      for (const fn of closers) fn()
    })
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    })
    // The browser reconnects by itself after this long when the stream drops.
    res.write('retry: 2000\n\n')
    let subscription: (() => void) | undefined
    const ctx: CallContext = {
      notify: (method, params) => {
        if (method !== EVENT_NOTIFICATION || res.destroyed) return
        if (res.writableLength > this.maxBacklogBytes) {
          this.logger.warn('closing a dashboard event stream that stopped reading', {
            backlogBytes: res.writableLength,
          })
          res.destroy()
          return
        }
        // JSON.stringify never emits a raw newline, so one `data:` line holds one event.
        res.write(`data: ${JSON.stringify(params)}\n\n`)
      },
      // A stream gone before its subscription registered must still drop it.
      onClose: (fn) => (closed ? fn() : void closers.push(fn)),
      // A stream is one subscription, as a socket connection is.
      setSubscription: (off) => {
        subscription?.()
        subscription = off
        if (closed) off()
        else closers.push(off)
      },
    }
    const subscribe = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'events.subscribe', params: {} })
    void receiveLine(this.dispatcher, subscribe, ctx).then((answer) => {
      if (!res.destroyed) res.write(`event: subscribed\ndata: ${JSON.stringify(answer)}\n\n`)
    })
  }

  closeAll(): void {
    for (const res of this.open_) res.destroy()
    this.open_.clear()
  }
}
