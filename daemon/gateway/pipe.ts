/**
 * A backend answer that came as a Node stream (node-transport.ts), written to the Codex CLI
 * chunk by chunk as it arrives (no buffering), with backpressure; the tap sees each chunk
 * (the usage for the report), silence for `idleMs` ends it, and Codex going away ends the
 * upstream request. The web-Response form of the same is http-io.ts's writeResponse.
 */
import type { ServerResponse } from 'node:http'
import type { NodeAnswer } from './node-transport.js'

export function pipeAnswer(out: ServerResponse, answer: NodeAnswer): Promise<void> {
  const { body, tap, idleMs } = answer
  out.writeHead(answer.status, answer.statusText || undefined, answer.headers)
  return new Promise<void>((resolve) => {
    let done = false
    // One timer for the whole answer, moved on by each chunk: not a timer per chunk.
    const timer = setTimeout(() => {
      const err = new Error(`the backend stream was silent for ${idleMs} ms`)
      body.destroy(err)
      finish(false, err)
    }, idleMs)
    const onData = (chunk: Buffer): void => {
      timer.refresh()
      tap?.chunk(chunk)
      if (!out.write(chunk)) body.pause()
    }
    const onDrain = (): void => void body.resume()
    const onEnd = (): void => {
      out.end()
      finish(true)
    }
    // The upstream stream failed mid-way: Codex sees the connection end without the completed event.
    const onError = (err: Error): void => finish(false, err)
    const onClose = (): void => {
      if (out.writableFinished) return
      body.destroy(new Error('the client went away'))
      finish(false)
    }
    const finish = (completed: boolean, err?: Error): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      body.off('data', onData).off('end', onEnd).off('error', onError)
      out.off('drain', onDrain).off('close', onClose)
      tap?.end(completed)
      if (err) out.destroy(err)
      resolve()
    }
    const start = (): void => {
      if (done) return
      body.on('data', onData).once('end', onEnd)
      out.on('drain', onDrain)
    }
    body.once('error', onError)
    out.once('close', onClose)
    // The first chunk, when it came with the headers, leaves with them in one write; otherwise
    // the status line and headers go now: Codex's time to first byte must not wait for the body.
    if (body.readableLength > 0) return start()
    setImmediate(() => {
      if (!done && body.readableLength === 0 && !out.headersSent) out.flushHeaders()
      start()
    })
  })
}
