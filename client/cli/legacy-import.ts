/**
 * The old auto_login.py's store (`~/.config/opencode/opencode-multi-auth-codex-accounts.json`,
 * `{accounts: [...], activeIndex}`), read by the CLI and handed to the daemon
 * account by account through `accounts.add`, which matches by identity and
 * builds aliases from the email (never writing the store behind its back).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'
import { UsageError } from './context.js'

export function defaultLegacyPath(home: string): string {
  return join(home, '.config', 'opencode', 'opencode-multi-auth-codex-accounts.json')
}

const str = z.string().min(1).optional().catch(undefined)
const entry = z
  .looseObject({
    email: str,
    accessToken: str,
    refreshToken: str,
    idToken: str,
    access_token: str,
    refresh_token: str,
    id_token: str,
    tokens: z.looseObject({ access_token: str, refresh_token: str, id_token: str }).optional().catch(undefined),
  })
  .catch({})
const legacyFile = z.object({ accounts: z.array(z.unknown()) })

export interface LegacyEntry {
  index: number
  email?: string
  /** No expiresAt: the old script's value is not trusted; the daemon reads `exp` from the JWT. */
  tokens?: { accessToken: string; refreshToken: string; idToken?: string }
}

export async function readLegacyFile(path: string): Promise<LegacyEntry[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UsageError(`${path} is not JSON`)
  }
  const file = legacyFile.safeParse(json)
  if (!file.success) throw new UsageError(`${path} is not an auto_login.py store (expected {"accounts": [...]})`)
  return file.data.accounts.map((raw, index) => {
    const e = entry.parse(raw)
    const accessToken = e.accessToken ?? e.access_token ?? e.tokens?.access_token
    const refreshToken = e.refreshToken ?? e.refresh_token ?? e.tokens?.refresh_token
    const idToken = e.idToken ?? e.id_token ?? e.tokens?.id_token
    const out: LegacyEntry = { index, email: e.email }
    if (accessToken && refreshToken) {
      out.tokens = { accessToken, refreshToken, ...(idToken ? { idToken } : {}) }
    }
    return out
  })
}
