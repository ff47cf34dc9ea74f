/**
 * The hooks one plugin instance gives OpenCode: the `auth` hook for provider openai, whose
 * loader hands the AI SDK our fetch, and the sign-in methods. Separate from index.ts,
 * which may export nothing but the plugin function.
 */
import { authMethods } from './auth-methods.js'
import { MARKER_KEY, type PluginConfig } from './config.js'
import { DaemonLink } from './daemon-link.js'
import { createCodexFetch } from './fetch.js'
import { ALL_LIMITED_STATUS } from '../../upstream/answers.js'
import type { Hooks, LoaderResult, OpencodeAuth } from './opencode-types.js'

/** A real OpenAI API key stays OpenCode's business: the plugin routes only ChatGPT sign-ins. */
function isPlatformKey(auth: OpencodeAuth | undefined): boolean {
  return auth?.type === 'api' && auth.key !== MARKER_KEY && auth.key.startsWith('sk-')
}

function limitStatus(env: Record<string, string | undefined>): number {
  // Opt-in: 429 makes OpenCode wait for Retry-After and try again, instead of ending the run.
  return env.OPENCODE_MULTI_AUTH_LIMIT_STATUS === '429' ? 429 : ALL_LIMITED_STATUS
}

export function buildHooks(config: PluginConfig): Hooks {
  const link = new DaemonLink(config)
  return {
    auth: {
      provider: 'openai',
      async loader(getAuth): Promise<LoaderResult | Record<string, never>> {
        if (isPlatformKey(await getAuth())) return {}
        return {
          apiKey: MARKER_KEY,
          baseURL: `${config.chatgptBase}/codex`,
          fetch: createCodexFetch({
            link,
            chatgptBase: config.chatgptBase,
            headersTimeoutMs: config.headersTimeoutMs,
            idleTimeoutMs: config.idleTimeoutMs,
            limitStatus: limitStatus(config.env),
          }),
        }
      },
      methods: authMethods(link),
    },
    dispose() {
      link.close()
      return Promise.resolve()
    },
  }
}
