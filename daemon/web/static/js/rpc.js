// The page's only ways to the daemon: JSON-RPC over POST /rpc and events over GET /events.

export const METHOD_NOT_FOUND = -32601

export class RpcFailure extends Error {
  constructor(code, message, data) {
    super(message)
    this.code = code
    this.data = data
  }
  /** Field errors the daemon returned ({path, message}[]), if any. */
  get fields() {
    return Array.isArray(this.data?.fields) ? this.data.fields : []
  }
}

/** HTTP-level refusals (401 after a daemon restart, 403, ...). */
export class HttpFailure extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

let nextId = 1

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  })
  if (!res.ok && res.status !== 204) throw new HttpFailure(res.status, (await res.text()).trim())
  return res.status === 204 ? null : res.json()
}

export async function call(method, params = {}) {
  const answer = await post('/rpc', { jsonrpc: '2.0', id: nextId++, method, params })
  if (answer.error) throw new RpcFailure(answer.error.code, answer.error.message, answer.error.data)
  return answer.result
}

/** Several calls in one request; each entry is {result} or {error: RpcFailure}. */
export async function batch(calls) {
  const first = nextId
  nextId += calls.length
  const body = calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: first + i, method, params: params ?? {} }))
  const answers = await post('/rpc', body)
  const byId = new Map(answers.map((a) => [a.id, a]))
  return calls.map((_, i) => {
    const a = byId.get(first + i)
    if (!a) return { error: new RpcFailure(-32603, 'no answer') }
    return a.error ? { error: new RpcFailure(a.error.code, a.error.message, a.error.data) } : { result: a.result }
  })
}

/** Spends the one-time code from the link's fragment for the session cookie, then drops it from the address bar. */
export async function signInFromFragment() {
  const match = /^#code=([A-Za-z0-9_-]{1,200})$/.exec(location.hash)
  if (!match) return false
  history.replaceState(null, '', location.pathname)
  await post('/auth', { code: match[1] })
  return true
}

/**
 * Events, with reconnect: EventSource retries by itself while the stream drops;
 * a refused stream (401 after a daemon restart) is reported so the page can say so.
 */
export function connectEvents({ onEvent, onOpen, onLost }) {
  let source
  let retry
  const open = () => {
    source = new EventSource('/events')
    source.addEventListener('subscribed', () => onOpen())
    source.onmessage = (m) => {
      try {
        onEvent(JSON.parse(m.data))
      } catch {
        // A malformed event is dropped; the next refresh corrects the view.
      }
    }
    source.onerror = () => {
      onLost(source.readyState === EventSource.CLOSED)
      if (source.readyState === EventSource.CLOSED) {
        clearTimeout(retry)
        retry = setTimeout(open, 3000)
      }
    }
  }
  open()
  return () => {
    clearTimeout(retry)
    source?.close()
  }
}
