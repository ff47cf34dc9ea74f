import { promises as fs, type Stats } from 'node:fs'

export type Level = 'ok' | 'warn' | 'fail'

/** One line of `doctor`: what was looked at, how it is, and what to do when it is not ok. */
export interface Check {
  name: string
  level: Level
  detail: string
  fix?: string
}

export const ok = (name: string, detail: string): Check => ({ name, level: 'ok', detail })
export const warn = (name: string, detail: string, fix?: string): Check => ({ name, level: 'warn', detail, fix })
export const fail = (name: string, detail: string, fix?: string): Check => ({ name, level: 'fail', detail, fix })

export async function statOr(path: string): Promise<Stats | undefined> {
  return fs.stat(path).catch(() => undefined)
}

export async function readOr(path: string, maxBytes = 4 * 1024 * 1024): Promise<string | undefined> {
  const st = await statOr(path)
  if (!st?.isFile() || st.size > maxBytes) return undefined
  return fs.readFile(path, 'utf8').catch(() => undefined)
}

export const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`

/** The `iat` of a JWT, without checking its signature (only the clock is judged). */
export function jwtIssuedAt(token: unknown): number | undefined {
  if (typeof token !== 'string') return undefined
  const part = token.split('.')[1]
  if (!part) return undefined
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { iat?: unknown }
    return typeof payload.iat === 'number' && Number.isFinite(payload.iat) ? payload.iat * 1000 : undefined
  } catch {
    return undefined
  }
}
