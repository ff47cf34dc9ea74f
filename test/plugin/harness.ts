/**
 * A spawned daemon wired to the fake issuer and the fake backend, plus one plugin
 * instance (the real hooks, the real loader) whose fetch the tests call the way the AI
 * SDK inside OpenCode does.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { MARKER_KEY, resolveConfig } from '../../client/plugin/config.js'
import { buildHooks } from '../../client/plugin/hooks.js'
import type { FetchFn, Hooks, LoaderResult } from '../../client/plugin/opencode-types.js'
import type { RpcClient } from '../../client/rpc/client.js'
import type { AccountView } from '../../protocol/schemas.js'
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from '../fakes/backend.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import type { Identity } from '../fakes/jwt.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon } from '../helpers/daemon.js'

export interface Harness {
  issuer: FakeIssuer
  backend: FakeBackend
  daemon: SpawnedDaemon
  rpc: RpcClient
  hooks: Hooks
  /** The fetch our loader hands OpenCode. */
  fetch: FetchFn
  baseURL: string
  identity(name: string): Identity
  /** Signs `name` in at the fake issuer and adds it to the daemon under that alias. */
  addAccount(name: string, opts?: { expiresInS?: number }): Promise<AccountView>
  account(alias: string): Promise<AccountView>
  /**
   * Makes every account's last refresh look `ms` old (stop, edit the store, restart): a
   * refresh in the last 15 s already answers a 401, so the 401 path needs an older one.
   */
  ageLastRefresh(ms: number): Promise<void>
  close(): Promise<void>
}

export interface HarnessOptions {
  accessTokenTtlS?: number
  backend?: FakeBackendOptions
  /** Extra environment for the daemon (e.g. OPENCODE_MULTI_AUTH_LOGIN_PORTS). */
  daemonEnv?: Record<string, string>
  /** Extra environment for the plugin instance (timeouts, limit status). */
  pluginEnv?: Record<string, string>
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const issuer = await startFakeIssuer(opts.accessTokenTtlS ? { accessTokenTtlS: opts.accessTokenTtlS } : {})
  const backend = await startFakeBackend(opts.backend)
  const dirs = makeDirs({
    OPENCODE_MULTI_AUTH_ISSUER: issuer.url,
    OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url,
    ...opts.daemonEnv,
  })
  let daemon = await startDaemon(dirs)
  let rpc = await daemon.connect()
  const hooks = buildHooks(resolveConfig({ ...dirs.env, OPENCODE_MULTI_AUTH_NO_AUTOSTART: '1', ...opts.pluginEnv }))
  const loaded = (await hooks.auth?.loader?.(async () => ({ type: 'api', key: MARKER_KEY }), {
    id: 'openai',
  })) as LoaderResult
  const identity = (name: string): Identity => ({
    email: `${name}@example.com`,
    accountId: `acct-${name}`,
    userId: `user-${name}`,
  })
  const h: Harness = {
    issuer,
    backend,
    daemon,
    rpc,
    hooks,
    fetch: loaded.fetch,
    baseURL: loaded.baseURL,
    identity,
    async addAccount(name, o = {}) {
      const t = issuer.addAccount(identity(name), o)
      return rpc.call('accounts.add', {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        idToken: t.idToken,
        alias: name,
      })
    },
    async account(alias) {
      return rpc.call('accounts.get', { alias })
    },
    async ageLastRefresh(ms) {
      rpc.close()
      await daemon.stop()
      const store = JSON.parse(readFileSync(dirs.storeFile, 'utf8')) as {
        accounts: Record<string, { lastRefresh?: string }>
      }
      for (const acc of Object.values(store.accounts)) acc.lastRefresh = new Date(Date.now() - ms).toISOString()
      writeFileSync(dirs.storeFile, JSON.stringify(store), { mode: 0o600 })
      daemon = h.daemon = await startDaemon(dirs)
      rpc = h.rpc = await daemon.connect()
    },
    async close() {
      await hooks.dispose?.()
      rpc.close()
      await daemon.stop()
      await backend.close()
      await issuer.close()
      cleanup(dirs)
    },
  }
  return h
}

/** The body OpenCode sends (docs/architecture.md#the-chatgpt-codex-backend): a Responses API request with store:false and a prompt_cache_key. */
export function openCodeBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-5.5',
    instructions: 'You are a helpful assistant.',
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'say hi' }] }],
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'ses_test_1',
    ...over,
  }
}

/** Calls fetch the way the AI SDK does: baseURL + "/responses", JSON body, OpenCode's headers. */
export function callResponses(
  h: Pick<Harness, 'fetch' | 'baseURL'>,
  body: Record<string, unknown>,
  init: RequestInit = {},
): Promise<Response> {
  const sessionKey = typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : ''
  return h.fetch(`${h.baseURL}/responses`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${MARKER_KEY}`,
      'session-id': sessionKey,
      'x-session-affinity': sessionKey,
    },
    body: JSON.stringify(body),
    ...init,
  })
}

/** The last /codex/responses request the fake backend saw. */
export function lastResponsesRequest(backend: FakeBackend): FakeBackend['requests'][number] {
  const r = backend.requests.filter((x) => x.path.endsWith('/codex/responses')).at(-1)
  if (!r) throw new Error('the fake backend saw no /codex/responses request')
  return r
}
