import { dirname, join } from 'node:path'
import * as paths from '../../../protocol/paths.js'
import { fail, ok, readOr, warn, type Check } from './check.js'

export interface CodexFacts {
  tokens: string[]
}

/** auth.json present and of a shape we know; and whether Codex keeps it in a file at all. */
export async function codexChecks(p: paths.PathEnv): Promise<{ checks: Check[]; facts: CodexFacts }> {
  const file = paths.codexAuthFile(p)
  const checks: Check[] = []
  const tokens: string[] = []
  const config = await readOr(join(dirname(file), 'config.toml'))
  const mode = /^\s*cli_auth_credentials_store\s*=\s*["']([a-z]+)["']/m.exec(config ?? '')?.[1] ?? 'file'
  if (mode === 'keyring' || mode === 'auto')
    checks.push(
      warn(
        'codex credentials',
        `config.toml sets cli_auth_credentials_store = "${mode}": Codex may keep its sign-in in the OS keyring, so there may be no auth.json to watch or write`,
        'set cli_auth_credentials_store = "file" in config.toml for Codex to share accounts with the daemon',
      ),
    )
  else
    checks.push(ok('codex credentials', `stored in ${mode === 'ephemeral' ? 'memory only (ephemeral)' : 'auth.json'}`))
  const text = await readOr(file)
  if (text === undefined) {
    checks.push(
      warn(
        'codex auth.json',
        `${file} is not there`,
        'fine if you do not use the Codex CLI; else `opencode-multi-auth use <alias>` writes it',
      ),
    )
    return { checks, facts: { tokens } }
  }
  try {
    const json = JSON.parse(text) as Record<string, unknown>
    const t = json.tokens as Record<string, unknown> | null | undefined
    if (t && typeof t === 'object' && typeof t.access_token === 'string' && typeof t.refresh_token === 'string') {
      tokens.push(t.access_token, ...(typeof t.id_token === 'string' ? [t.id_token] : []))
      checks.push(ok('codex auth.json', `${file} holds a ChatGPT sign-in`))
    } else if (json.auth_mode === 'apikey' || typeof json.OPENAI_API_KEY === 'string')
      checks.push(
        warn(
          'codex auth.json',
          `${file} is in API-key mode (no ChatGPT tokens)`,
          '`opencode-multi-auth use <alias>` writes a ChatGPT account into it',
        ),
      )
    else
      checks.push(
        warn(
          'codex auth.json',
          `${file} has no tokens object of a known shape`,
          'sign in with `codex login`, or `opencode-multi-auth use <alias>`',
        ),
      )
  } catch {
    checks.push(
      fail(
        'codex auth.json',
        `${file} is not JSON`,
        'sign in again with `codex login` or `opencode-multi-auth use <alias>`',
      ),
    )
  }
  return { checks, facts: { tokens } }
}
