/**
 * TypeScript handles on the fake `codex` executable (test/fakes/codex/): where it is,
 * the auth.json shape it reads, and a runner that gives each test its own CODEX_HOME
 * instead of touching the user's.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { authClaimOf } from './jwt.js'

/** Prepend this to PATH to make `codex` resolve to the fake. */
export const FAKE_CODEX_DIR = fileURLToPath(new URL('./codex/', import.meta.url))
export const FAKE_CODEX_BIN = join(FAKE_CODEX_DIR, 'codex')

/** `$CODEX_HOME/auth.json` as Codex writes it for a ChatGPT sign-in. */
export interface CodexAuthFile {
  auth_mode: 'chatgpt'
  OPENAI_API_KEY: null
  tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string }
  last_refresh: string
}

export function codexAuthFile(
  t: { accessToken: string; refreshToken: string; idToken: string; accountId?: string },
  lastRefresh: Date = new Date(),
): CodexAuthFile {
  const accountId = t.accountId ?? authClaimOf(t.accessToken)?.chatgpt_account_id
  if (accountId === undefined) throw new Error('codexAuthFile: no account id given and none in the access token')
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: { id_token: t.idToken, access_token: t.accessToken, refresh_token: t.refreshToken, account_id: accountId },
    last_refresh: lastRefresh.toISOString(),
  }
}

/** Writes auth.json like Codex 0.169 does (2-space JSON, no trailing newline, 0600). */
export function writeCodexAuth(codexHome: string, auth: CodexAuthFile | Record<string, unknown>): string {
  mkdirSync(codexHome, { recursive: true })
  const file = join(codexHome, 'auth.json')
  writeFileSync(file, JSON.stringify(auth, null, 2), { mode: 0o600 })
  return file
}

export interface CodexRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the fake codex with CODEX_HOME set; env adds to (and overrides) the parent's. */
export function runFakeCodex(args: string[], codexHome: string, env: Record<string, string> = {}): Promise<CodexRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(FAKE_CODEX_BIN, args, {
      env: { ...process.env, FAKE_CODEX_NODE: process.execPath, ...env, CODEX_HOME: codexHome },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
