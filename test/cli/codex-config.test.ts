import { describe, expect, it } from 'vitest'
import { applySetup, hasSetup, topLevelString, undoSetup } from '../../client/cli/codex-config.js'

const opts = { url: 'http://127.0.0.1:14555/backend-api', secret: 's'.repeat(43) }

const userFile = `# my Codex settings
model = "gpt-5.5"   # the one I like
model_provider = "openai"
chatgpt_base_url = "https://chatgpt.com/backend-api"
cli_auth_credentials_store = "keyring"

[profiles.fast]
model_provider = "openai"   # inside a table: not ours to touch

[features]
plugins = false`

describe("codex setup's edit of config.toml", () => {
  it('adds the marked blocks, comments out only the top-level keys it sets, keeps everything else', () => {
    const out = applySetup(userFile, opts)
    expect(hasSetup(out)).toBe(true)
    expect(out.startsWith('# >>> opencode-multi-auth codex setup')).toBe(true)
    expect(topLevelString(out, 'model_provider')).toBe('opencode-multi-auth')
    expect(topLevelString(out, 'chatgpt_base_url')).toBe(opts.url)
    expect(out).toContain('# [opencode-multi-auth codex setup] model_provider = "openai"\n')
    expect(out).toContain('model_provider = "openai"   # inside a table: not ours to touch\n')
    expect(out).toContain('# my Codex settings\nmodel = "gpt-5.5"   # the one I like\n')
    expect(out).toContain('[model_providers.opencode-multi-auth]\n')
    expect(out).toContain(`base_url = "${opts.url}/codex"`)
    expect(out).toContain(`experimental_bearer_token = "${opts.secret}"`)
    // Exactly one active top-level model_provider (a duplicate key is a TOML error).
    const top = out.slice(0, out.indexOf('\n['))
    expect(top.split('\n').filter((l) => /^model_provider\s*=/.test(l))).toHaveLength(1)
  })

  it('is idempotent, and undo gives the file back byte for byte (with or without a final newline, or empty)', () => {
    for (const original of [userFile, `${userFile}\n`, '', '[features]\napps = false\n']) {
      const once = applySetup(original, opts)
      expect(applySetup(once, opts)).toBe(once)
      expect(undoSetup(once)).toBe(original)
      // A new port or secret replaces the old blocks instead of adding more.
      const moved = applySetup(once, { url: 'http://127.0.0.1:1/backend-api', secret: 't'.repeat(43) })
      expect(moved.match(/\[model_providers\.opencode-multi-auth\]/g)).toHaveLength(1)
      expect(undoSetup(moved)).toBe(original)
    }
    expect(undoSetup(userFile)).toBe(userFile)
  })

  it('reads the credentials store mode', () => {
    expect(topLevelString(userFile, 'cli_auth_credentials_store')).toBe('keyring')
    expect(topLevelString('[x]\ncli_auth_credentials_store = "file"', 'cli_auth_credentials_store')).toBeUndefined()
  })
})
