/** An in-process daemon with the gateway on (port 0), the fake issuer and the fake backend, two accounts. */
import { readFileSync } from 'node:fs'
import type { GatewayStatus } from '../../protocol/methods.js'
import { startFakeBackend, type FakeBackend } from '../fakes/backend.js'
import { startIssuerApp, type IssuerApp } from '../helpers/issuer-app.js'

export interface GatewayHarness {
  pair: IssuerApp
  backend: FakeBackend
  /** http://127.0.0.1:PORT/backend-api */
  url: string
  secret: string
  /** A request as Codex makes it, with the secret as its Bearer unless `auth` says otherwise. */
  call(path: string, init?: RequestInit & { auth?: string | null }): Promise<Response>
  status(): Promise<GatewayStatus>
  close(): Promise<void>
}

export async function startGatewayHarness(names: string[] = ['a', 'b']): Promise<GatewayHarness> {
  const backend = await startFakeBackend()
  const pair = await startIssuerApp({ env: { OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url } })
  const { client } = pair.app
  for (const name of names) {
    const t = pair.issuer.addAccount({
      email: `${name}@example.com`,
      accountId: `acct-${name}`,
      userId: `user-${name}`,
    })
    await client.call('accounts.add', {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      idToken: t.idToken,
      alias: name,
    })
  }
  await client.call('settings.update', { gatewayEnabled: true, gatewayPort: 0 })
  const status = await client.call('gateway.status', {})
  if (!status.url) throw new Error(`gateway not listening: ${JSON.stringify(status)}`)
  const url = status.url
  const secret = readFileSync(pair.app.app.components.config.gatewaySecretFile, 'utf8').trim()
  return {
    pair,
    backend,
    url,
    secret,
    call(path, init = {}) {
      const { auth, ...rest } = init
      const headers = new Headers(rest.headers)
      if (auth !== null) headers.set('authorization', `Bearer ${auth ?? secret}`)
      return fetch(`${url}${path}`, { ...rest, headers })
    },
    status: () => client.call('gateway.status', {}),
    async close() {
      await pair.close()
      await backend.close()
    },
  }
}

/** A Responses body as the Codex CLI sends it (the parts the gateway reads, plus ids on items). */
export function codexBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-5.5',
    input: [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'say hi' }] }],
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '01a2-session',
    client_metadata: { installation_id: 'i-1' },
    ...over,
  }
}

export const codexHeaders = {
  'content-type': 'application/json',
  accept: 'text/event-stream',
  originator: 'codex_exec',
  'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) unknown (codex_exec; 0.171.0)',
  'session-id': '01a2-session',
  'x-codex-turn-metadata': '{"turn_id":"t1"}',
}
