/**
 * The few shapes of OpenCode's plugin API (`@opencode-ai/plugin` 1.18.33, dist/index.d.ts,
 * and `Auth` from `@opencode-ai/sdk/v2`) this plugin touches, declared here instead of
 * depending on the type package: it pulls in `effect` (~47 MB) and a second zod.
 * Only the members we use are spelled out; each matches the real declaration.
 */

/** `Auth` (sdk v2): what OpenCode stores per provider in its auth.json. */
export type OpencodeAuth =
  | { type: 'oauth'; refresh: string; access: string; expires: number; accountId?: string; enterpriseUrl?: string }
  | { type: 'api'; key: string; metadata?: Record<string, string> }
  | { type: 'wellknown'; key: string; token: string }

/** The successful end of a sign-in that stores a key (OpenCode saves it as `{type:"api", key}`). */
export interface KeySuccess {
  type: 'success'
  provider?: string
  key: string
  metadata?: Record<string, string>
}

/** The successful end of an OAuth sign-in (OpenCode saves it as `{type:"oauth", refresh, access, expires}`). */
export interface OAuthSuccess {
  type: 'success'
  provider?: string
  refresh: string
  access: string
  expires: number
  accountId?: string
}

export type AuthCallbackResult = KeySuccess | OAuthSuccess | { type: 'failed' }

/** `AuthOAuthResult` with `method: "auto"`: OpenCode shows url + instructions, then awaits callback(). */
export interface AuthOAuthAutoResult {
  url: string
  instructions: string
  method: 'auto'
  callback(): Promise<AuthCallbackResult>
}

export interface OAuthMethod {
  type: 'oauth'
  label: string
  authorize(inputs?: Record<string, string>): Promise<AuthOAuthAutoResult>
}

export interface ApiMethod {
  type: 'api'
  label: string
  authorize?(inputs?: Record<string, string>): Promise<KeySuccess | { type: 'failed' }>
}

/** The provider object OpenCode passes to the loader; we only read its id. */
export interface ProviderInfo {
  id?: string
  [key: string]: unknown
}

export type { FetchFn } from '../../upstream/types.js'
import type { FetchFn } from '../../upstream/types.js'

/** What our loader returns: options merged into the provider's AI SDK settings. */
export interface LoaderResult {
  apiKey: string
  baseURL: string
  fetch: FetchFn
}

export interface AuthHook {
  provider: string
  loader?: (
    auth: () => Promise<OpencodeAuth | undefined>,
    provider: ProviderInfo,
  ) => Promise<LoaderResult | Record<string, never>>
  methods: (OAuthMethod | ApiMethod)[]
}

export interface Hooks {
  auth?: AuthHook
  dispose?: () => Promise<void>
}

/** `PluginInput` carries client, project, directory, $, ...: this plugin needs none of them. */
export type PluginInput = Record<string, unknown>
export type PluginOptions = Record<string, unknown>

export type Plugin = (input: PluginInput, options?: PluginOptions) => Promise<Hooks>
