// The floor of the gateway bench: the least any local pass-through costs on this machine — a
// bare node:http server that reads the body, sends it on with undici's request over a kept-alive
// connection and writes the answer back as it comes (no auth, no accounts, no reports).
// argv[2]: the backend's base URL. Prints its own base URL when listening.
import { createServer } from 'node:http'
import { request } from 'undici'

const target = process.argv[2]
const server = createServer(async (req, res) => {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const up = await request(`${target}${req.url.slice('/backend-api'.length)}`, {
    method: req.method,
    headers: { 'content-type': 'application/json', 'x-chunks': req.headers['x-chunks'] ?? '1' },
    body: Buffer.concat(chunks),
  })
  res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] })
  for await (const c of up.body) res.write(c)
  res.end()
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}/backend-api\n`))
