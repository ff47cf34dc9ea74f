// The floor: a bare NDJSON JSON-RPC echo over a Unix socket, no validation, no work.
import { createServer } from 'node:net'
import { rmSync } from 'node:fs'

const path = process.argv[2]
rmSync(path, { force: true })
createServer((socket) => {
  let buf = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk) => {
    buf += chunk
    let i
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      const msg = JSON.parse(line)
      socket.write(
        JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: 1, echo: msg.params } }) + '\n',
      )
    }
  })
  socket.on('error', () => {})
}).listen(path, () => process.stdout.write('ready\n'))
