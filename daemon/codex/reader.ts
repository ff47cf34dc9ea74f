import { readFile } from 'node:fs/promises'
import type { Clock } from '../deps.js'
import { contentHash, parseAuthText, type CodexAuthJson, type CodexTokens } from './auth-file.js'

export type ReadResult =
  | { kind: 'missing' }
  /** Unreadable or unparseable even after the retries; `hash` lets the caller drop repeats. */
  | { kind: 'invalid'; reason: string; hash?: string }
  | { kind: 'no-tokens'; hash: string; json: CodexAuthJson }
  | { kind: 'tokens'; hash: string; json: CodexAuthJson; tokens: CodexTokens }

/** Waits between attempts: a file written in place settles within a few hundred ms. */
export const READ_RETRY_DELAYS_MS: readonly number[] = [25, 50, 75, 100, 150]

export interface ReadOptions {
  clock: Clock
  delays?: readonly number[]
}

/**
 * Reads and parses auth.json, retrying while it is half-written (Codex before
 * 0.169 truncates and writes in place). Never throws.
 */
export async function readAuthFile(file: string, opts: ReadOptions): Promise<ReadResult> {
  const delays = opts.delays ?? READ_RETRY_DELAYS_MS
  let last: ReadResult = { kind: 'missing' }
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await opts.clock.sleep(delays[attempt - 1] ?? 0)
    last = await readOnce(file)
    if (last.kind !== 'invalid') return last
  }
  return last
}

export async function readOnce(file: string): Promise<ReadResult> {
  let raw: Buffer
  try {
    raw = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' }
    return { kind: 'invalid', reason: `cannot read (${code ?? 'error'})` }
  }
  const hash = contentHash(raw)
  const parsed = parseAuthText(raw.toString('utf8'))
  if (parsed.kind === 'invalid') return { kind: 'invalid', reason: parsed.reason, hash }
  return { ...parsed, hash }
}

/** The raw bytes' hash, or undefined when the file is absent (for the pre-rename check). */
export async function hashOf(file: string): Promise<string | undefined> {
  try {
    return contentHash(await readFile(file))
  } catch {
    return undefined
  }
}
