/**
 * `codex setup`'s edit of `$CODEX_HOME/config.toml`, as text: no TOML serializer, so the
 * user's other settings, comments and layout stay as they are. Setup adds two marked
 * blocks — the top-level keys at the start of the file (TOML keys after a table header
 * would belong to that table) and the provider table at the end — and comments out, with
 * a marker, any top-level `model_provider` or `chatgpt_base_url` of the user's (a key
 * twice is a TOML error). Undo removes exactly that, so the file is back byte for byte
 * as long as the user did not edit the marked lines in between.
 */

export const PROVIDER_ID = 'opencode-multi-auth'
const TAG = 'opencode-multi-auth codex setup'
const BEGIN = `# >>> ${TAG}`
const END = `# <<< ${TAG}`
/** Prefix of a user's line that setup turned into a comment. */
const DISABLED = `# [${TAG}] `
/** On a provider block's BEGIN line: setup also added the newline before it (the file did not end with one). */
const ADDED_NEWLINE = ' (+newline)'
const KEYS_WE_SET = ['model_provider', 'chatgpt_base_url']

export interface SetupOptions {
  /** The gateway's ChatGPT base URL, http://127.0.0.1:PORT/backend-api */
  url: string
  secret: string
}

function lines(text: string): string[] {
  return text.split(/(?<=\n)/)
}

function isTableHeader(line: string): boolean {
  return /^\s*\[/.test(line)
}

function setsKey(line: string, key: string): boolean {
  return new RegExp(`^\\s*${key}\\s*=`).test(line)
}

export function hasSetup(text: string): boolean {
  return lines(text).some((l) => l.startsWith(BEGIN))
}

/** The file as it was before setup: blocks removed, the user's lines back. */
export function undoSetup(text: string): string {
  const out: string[] = []
  let inBlock = false
  let dropNewline = false
  for (const line of lines(text)) {
    if (!inBlock && line.startsWith(BEGIN)) {
      inBlock = true
      dropNewline = line.trimEnd().endsWith(ADDED_NEWLINE)
      continue
    }
    if (inBlock) {
      if (line.startsWith(END)) {
        inBlock = false
        const last = out.at(-1)
        if (dropNewline && last?.endsWith('\n')) out[out.length - 1] = last.slice(0, -1)
      }
      continue
    }
    out.push(line.startsWith(DISABLED) ? line.slice(DISABLED.length) : line)
  }
  return out.join('')
}

const toml = (s: string): string => JSON.stringify(s)

/** The file with setup applied (any earlier setup replaced): idempotent. */
export function applySetup(original: string, opts: SetupOptions): string {
  const text = undoSetup(original)
  const out: string[] = [
    `${BEGIN}: use the opencode-multi-auth gateway (undo: \`opencode-multi-auth codex setup --undo\`)\n`,
    `model_provider = ${toml(PROVIDER_ID)}\n`,
    `chatgpt_base_url = ${toml(opts.url)}\n`,
    `${END}\n`,
  ]
  let topLevel = true
  for (const line of lines(text)) {
    if (isTableHeader(line)) topLevel = false
    out.push(topLevel && KEYS_WE_SET.some((k) => setsKey(line, k)) ? `${DISABLED}${line}` : line)
  }
  const needsNewline = text.length > 0 && !text.endsWith('\n')
  if (needsNewline) out.push('\n')
  out.push(
    `${BEGIN}: the gateway as a model provider${needsNewline ? ADDED_NEWLINE : ''}\n`,
    `[model_providers.${PROVIDER_ID}]\n`,
    `name = ${toml(PROVIDER_ID)}\n`,
    `base_url = ${toml(`${opts.url}/codex`)}\n`,
    'wire_api = "responses"\n',
    '# The gateway adds the account; Codex presents only the gateway secret.\n',
    'requires_openai_auth = false\n',
    `experimental_bearer_token = ${toml(opts.secret)}\n`,
    'supports_websockets = false\n',
    `${END}\n`,
  )
  return out.join('')
}

/** A top-level key's string value (first occurrence before any table), for the checks setup makes. */
export function topLevelString(text: string, key: string): string | undefined {
  for (const line of lines(text)) {
    if (isTableHeader(line)) return undefined
    const m = new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`).exec(line)
    if (m) return m[1]
  }
  return undefined
}
