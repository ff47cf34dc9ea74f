// Minimal codex app-server JSON-RPC client (stdio, one JSON object per line).
import { spawn } from 'node:child_process'
export const CODEX = new URL('../node_modules/.bin/codex', import.meta.url).pathname
export function appServer(env, { verbose = false } = {}) {
  const cp = spawn(CODEX, ['app-server'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const msgs = [],
    waiters = new Map()
  let buf = '',
    next = 1
  cp.stdout.on('data', (d) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (!l.trim()) continue
      const m = JSON.parse(l)
      msgs.push(m)
      if (verbose) console.log('<-', l.slice(0, 300))
      if (m.id != null && waiters.has(m.id)) {
        waiters.get(m.id)(m)
        waiters.delete(m.id)
      }
    }
  })
  let stderr = ''
  cp.stderr.on('data', (d) => {
    stderr += d
  })
  const call = (method, params) =>
    new Promise((resolve, reject) => {
      const id = next++
      waiters.set(id, resolve)
      setTimeout(() => {
        if (waiters.delete(id)) reject(new Error(`timeout ${method}`))
      }, 15000)
      cp.stdin.write(JSON.stringify({ id, method, params }) + '\n')
    })
  const initialize = () =>
    call('initialize', { clientInfo: { name: 't', title: null, version: '1' }, capabilities: null })
  const close = () =>
    new Promise((r) => {
      cp.once('exit', r)
      cp.stdin.end()
      cp.kill()
    })
  return {
    cp,
    msgs,
    call,
    initialize,
    close,
    get stderr() {
      return stderr
    },
  }
}
