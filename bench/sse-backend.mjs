// The fake backend of the gateway bench, in its own process as the real one is: POST
// .../codex/responses streams `x-chunks: N` small SSE events `x-spacing-ms` apart (one at once
// by default). Prints its base URL (…/backend-api) when listening.
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const n = Number(req.headers['x-chunks'] ?? 1)
    const spacing = Number(req.headers['x-spacing-ms'] ?? 10)
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    let i = 0
    const send = () => {
      res.write(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"${i}"}\n\n`)
      if (++i >= n) return void res.end()
      setTimeout(send, spacing)
    }
    send()
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}/backend-api\n`))
