/**
 * Newline-delimited JSON framing. Works on bytes (Uint8Array) so the 1 MiB cap
 * is a byte count, and uses only web-standard APIs so the protocol layer stays
 * free of Node.
 */
export const MAX_FRAME_BYTES = 1024 * 1024

export class FrameTooLargeError extends Error {
  constructor(readonly size: number) {
    super(`frame exceeds ${MAX_FRAME_BYTES} bytes`)
    this.name = 'FrameTooLargeError'
  }
}

const NEWLINE = 0x0a

export class LineDecoder {
  private chunks: Uint8Array[] = []
  private pending = 0
  private readonly decoder = new TextDecoder()

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  /** Bytes of an unterminated frame held for the next push. */
  get buffered(): number {
    return this.pending
  }

  /** Returns the complete lines in `chunk`; throws FrameTooLargeError past the cap. */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = []
    let start = 0
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, start)) {
      const part = chunk.subarray(start, i)
      this.check(this.pending + part.length)
      lines.push(this.take(part))
      start = i + 1
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start)
      this.check(this.pending + rest.length)
      this.chunks.push(rest)
      this.pending += rest.length
    }
    return lines.filter((l) => l.trim().length > 0)
  }

  private check(size: number): void {
    if (size > this.maxBytes) throw new FrameTooLargeError(size)
  }

  private take(last: Uint8Array): string {
    if (this.chunks.length === 0) return this.decoder.decode(last)
    this.chunks.push(last)
    const all = new Uint8Array(this.pending + last.length)
    let offset = 0
    for (const c of this.chunks) {
      all.set(c, offset)
      offset += c.length
    }
    this.chunks = []
    this.pending = 0
    return this.decoder.decode(all)
  }
}

export function encodeFrame(message: unknown): string {
  return JSON.stringify(message) + '\n'
}
