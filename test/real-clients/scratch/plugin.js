// Throwaway OpenCode plugin used to probe the real OpenCode. Env: STUB_PORT, PLUGIN_LOG, PLUGIN_METHOD=oauth|api
import fs from 'node:fs'
const log = (o) => {
  if (process.env.PLUGIN_LOG) fs.appendFileSync(process.env.PLUGIN_LOG, JSON.stringify({ t: Date.now(), ...o }) + '\n')
}

export const StubPlugin = async (input) => {
  log({ ev: 'plugin-init', inputKeys: Object.keys(input) })
  return {
    auth: {
      provider: 'openai',
      async loader(getAuth, provider) {
        const auth = await getAuth()
        log({
          ev: 'loader',
          auth,
          providerId: provider?.id,
          providerKeys: Object.keys(provider ?? {}),
          models: Object.keys(provider?.models ?? {}).slice(0, 50),
        })
        const base = `http://127.0.0.1:${process.env.STUB_PORT}/backend-api/codex`
        return {
          apiKey: 'x',
          baseURL: base,
          async fetch(url, init = {}) {
            const u = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url
            const headers = new Headers(init.headers ?? (url instanceof Request ? url.headers : undefined))
            let body = init.body
            let parsed
            try {
              parsed = JSON.parse(body)
            } catch {}
            log({
              ev: 'fetch',
              url: u,
              urlType: typeof url === 'string' ? 'string' : url?.constructor?.name,
              initKeys: Object.keys(init),
              hasSignal: !!init.signal,
              bodyType: typeof init.body,
              method: init.method,
              headers: Object.fromEntries(headers),
              bodyKeys: parsed ? Object.keys(parsed) : typeof body,
              body: parsed
                ? {
                    model: parsed.model,
                    store: parsed.store,
                    stream: parsed.stream,
                    include: parsed.include,
                    prompt_cache_key: parsed.prompt_cache_key,
                    instructionsLen: parsed.instructions?.length,
                    inputLen: parsed.input?.length,
                    inputTypes: parsed.input?.map((i) => i.type ?? i.role),
                    reasoning: parsed.reasoning,
                    max_output_tokens: parsed.max_output_tokens,
                  }
                : undefined,
            })
            headers.set('chatgpt-account-id', 'acct-1')
            headers.set('authorization', 'Bearer stub-access')
            const res = await fetch(u, { ...init, headers })
            log({ ev: 'response', status: res.status })
            return res
          },
        }
      },
      methods:
        process.env.PLUGIN_METHOD === 'api'
          ? [{ type: 'api', label: 'Managed by opencode-multi-auth (stub)' }]
          : [
              {
                type: 'oauth',
                label: 'ChatGPT via daemon (stub)',
                async authorize() {
                  return {
                    url: 'http://127.0.0.1:1/never',
                    instructions: 'stub',
                    method: 'auto',
                    async callback() {
                      return { type: 'success', key: 'managed' }
                    },
                  }
                },
              },
            ],
    },
  }
}
