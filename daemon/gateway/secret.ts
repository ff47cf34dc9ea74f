/**
 * The gateway's secret: 32 random bytes (base64url) in a 0600 file in the config dir.
 * Codex presents it as the Bearer of its provider requests (`codex setup` writes it into
 * Codex's config.toml). Made once by whoever needs it first (the daemon or `codex setup`),
 * with O_EXCL so two makers cannot each write their own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, mkdirSync, openSync, readFileSync, closeSync, writeSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

const SECRET_RE = /^[A-Za-z0-9_-]{32,128}$/

export class GatewaySecretError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GatewaySecretError'
  }
}

function readSecret(file: string): string {
  const st = statSync(file)
  if ((st.mode & 0o077) !== 0) chmodSync(file, 0o600)
  const text = readFileSync(file, 'utf8').trim()
  if (!SECRET_RE.test(text))
    throw new GatewaySecretError(`${file} does not hold a gateway secret; remove it to make a new one`)
  return text
}

/** The secret in `file`, made now if there is none. */
export function ensureGatewaySecret(file: string): string {
  try {
    return readSecret(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const secret = randomBytes(32).toString('base64url')
  let fd: number
  try {
    fd = openSync(file, 'wx', 0o600)
  } catch (err) {
    // Someone else made it between our read and our create: theirs wins.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readSecret(file)
    throw err
  }
  try {
    writeSync(fd, `${secret}\n`)
  } finally {
    closeSync(fd)
  }
  return secret
}

/** Constant-time comparison, so the answer's timing says nothing about how much matched. */
export function secretMatches(secret: string | Buffer, presented: string | undefined): boolean {
  if (presented === undefined) return false
  const a = typeof secret === 'string' ? Buffer.from(secret) : secret
  const b = Buffer.from(presented)
  return a.length === b.length && timingSafeEqual(a, b)
}
