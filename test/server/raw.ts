/**
 * A raw NDJSON connection to the daemon's socket: writes whatever bytes a test
 * gives it and hands back each line the daemon answers, parsed. No client
 * library in between, so malformed input reaches the server as written.
 */
import { connect, type Socket } from 'node:net'

export interface RpcMessage {
  jsonrpc?: string
  id?: unknown
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
  method?: string
  params?: unknown
}

export class RawConn {
  private buf = ''
  private readonly queue: RpcMessage[] = []
  private readonly waiters: { resolve: (m: RpcMessage) => void; reject: (e: Error) => void }[] = []
  private readonly byId = new Map<string, { resolve: (m: RpcMessage) => void; reject: (e: Error) => void }>()
  private seq = 0
  /** Resolves when the daemon (or we) closed the connection. */
  readonly closed: Promise<void>
  isClosed = false

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.buf += chunk
      for (let i = this.buf.indexOf('\n'); i !== -1; i = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, i)
        this.buf = this.buf.slice(i + 1)
        if (line.trim()) this.deliver(JSON.parse(line) as RpcMessage)
      }
    })
    // EPIPE/ECONNRESET after the daemon hung up on us is what some tests provoke.
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true
        const err = new Error('connection closed')
        for (const w of this.waiters.splice(0)) w.reject(err)
        for (const w of this.byId.values()) w.reject(err)
        this.byId.clear()
        resolve()
      }),
    )
  }

  static open(socketPath: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(socketPath)
      s.once('connect', () => {
        s.removeListener('error', reject)
        resolve(new RawConn(s))
      })
      s.once('error', reject)
    })
  }

  private deliver(msg: RpcMessage): void {
    const key = msg.id === undefined || msg.id === null ? undefined : JSON.stringify(msg.id)
    const pending = key === undefined ? undefined : this.byId.get(key)
    if (pending && key !== undefined) {
      this.byId.delete(key)
      return pending.resolve(msg)
    }
    const w = this.waiters.shift()
    if (w) w.resolve(msg)
    else this.queue.push(msg)
  }

  /** Messages received that no request() or next() has taken. */
  get unclaimed(): number {
    return this.queue.length
  }

  /** Writes text as is (add the newline yourself). */
  write(text: string | Buffer): void {
    this.socket.write(text)
  }

  /** The next message not claimed by request(). */
  next(timeoutMs = 10_000): Promise<RpcMessage> {
    const queued = this.queue.shift()
    if (queued) return Promise.resolve(queued)
    if (this.isClosed) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push({
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
    })
  }

  /** Sends a well-formed request and resolves with the answer carrying its id. */
  request(method: string, params?: unknown, id: string | number = `r${++this.seq}`): Promise<RpcMessage> {
    const answer = new Promise<RpcMessage>((resolve, reject) => this.byId.set(JSON.stringify(id), { resolve, reject }))
    this.write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }) + '\n')
    return answer
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Polls `check` until it returns true; for process and file-system state only. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `p`, or a clear failure after `ms` instead of a hung test. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
