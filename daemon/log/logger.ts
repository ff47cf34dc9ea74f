import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import winston from 'winston'
import Transport from 'winston-transport'
import type { LogLine } from '../../protocol/methods.js'
import type { Logger, LogMeta } from '../deps.js'
import { redactEntry, redactString } from './redact.js'

export interface DaemonLogger extends Logger {
  tail(lines: number): LogLine[]
  /** SIGHUP: reopen the file after an external logrotate moved it. */
  reopen(): void
  /** Resolves when every transport has written what it was given. */
  close(): Promise<void>
}

export interface LoggerOptions {
  level?: string
  file?: string
  stderr?: boolean
  ringSize?: number
  maxFileBytes?: number
  maxFiles?: number
}

const redact = winston.format((info) => {
  const out = info as Record<string | symbol, unknown>
  for (const key of Object.keys(out)) {
    if (key === 'level' || key === 'timestamp') continue
    // Each top-level field is judged by its own name too: `{ refreshToken }` must not pass.
    out[key] = key === 'message' && typeof out[key] === 'string' ? redactString(out[key]) : redactEntry(key, out[key])
  }
  return info
})

/** Keeps the last N (already redacted) entries for `logs.tail`. */
class RingTransport extends Transport {
  private readonly buf: LogLine[] = []
  constructor(private readonly size: number) {
    super()
  }
  override log(info: LogLine, next: () => void): void {
    const { level, message, timestamp, ...rest } = info
    const meta = Object.fromEntries(Object.entries(rest).filter(([k]) => typeof k === 'string'))
    this.buf.push({ ...meta, level, message: String(message), timestamp: String(timestamp) })
    if (this.buf.length > this.size) this.buf.shift()
    next()
  }
  tail(n: number): LogLine[] {
    return this.buf.slice(-n)
  }
}

/** The file mode given at open applies only to a new file: one left 0644 (by hand, an older version) is tightened. */
function tightenExisting(file: string): void {
  try {
    if (statSync(file).mode & 0o077) chmodSync(file, 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

function fileTransport(file: string, opts: LoggerOptions): winston.transport {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  tightenExisting(file)
  return new winston.transports.File({
    filename: file,
    maxsize: opts.maxFileBytes ?? 5 * 1024 * 1024,
    maxFiles: opts.maxFiles ?? 3,
    tailable: true,
    // Given options replace winston's default { flags: 'a' }: without it every start truncated the log.
    options: { flags: 'a', mode: 0o600 },
    format: winston.format.json(),
  })
}

export function createLogger(opts: LoggerOptions): DaemonLogger {
  const ring = new RingTransport(opts.ringSize ?? 1000)
  const transports: winston.transport[] = [ring]
  if (opts.stderr !== false) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.printf((i) => {
          const { level, message, timestamp: _t, ...meta } = i
          // Keys whose value is undefined vanish in JSON: no stray "{}" after the message.
          const json = JSON.stringify(meta)
          const extra = json && json !== '{}' ? ' ' + json : ''
          return `${level}: ${String(message)}${extra}`
        }),
      }),
    )
  }
  let file = opts.file ? fileTransport(opts.file, opts) : undefined
  if (file) transports.push(file)

  const w = winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), redact()),
    transports,
  })

  const at =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, meta?: LogMeta): void => {
      // winston runs its formats (timestamp, redaction) before any transport drops the entry
      // by level: a debug line on a hot path would cost that on every call at info.
      if (!w.isLevelEnabled(level)) return
      w.log(level, message, meta ?? {})
    }

  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    tail: (n) => ring.tail(n),
    reopen() {
      if (!opts.file || !file) return
      w.remove(file)
      file.close?.()
      file = fileTransport(opts.file, opts)
      w.add(file)
    },
    close() {
      return new Promise((resolve) => {
        const done = (): void => resolve()
        if (!file) {
          w.close()
          return resolve()
        }
        file.once('finish', done)
        // A transport that already ended never emits finish again.
        setTimeout(done, 1000).unref()
        w.end()
      })
    },
  }
}
