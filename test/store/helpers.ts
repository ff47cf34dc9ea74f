import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import type { Logger, LogMeta } from '../../daemon/deps.js'
import type { Account } from '../../daemon/store/schema.js'
import { AccountStore, type StoreOptions } from '../../daemon/store/store.js'
import { FakeClock } from '../helpers/clock.js'

const made: string[] = []
const opened: AccountStore[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => {})))
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

/** A fresh temp dir; the store file sits in a subdirectory we let the store create. */
export async function tempStore(): Promise<{ root: string; dir: string; file: string }> {
  const root = await mkdtemp(join(tmpdir(), 'oma-store-'))
  made.push(root)
  const dir = join(root, 'opencode-multi-auth')
  return { root, dir, file: join(dir, 'accounts.json') }
}

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug'
  message: string
  meta?: LogMeta
}

export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = []
  error(message: string, meta?: LogMeta): void {
    this.lines.push({ level: 'error', message, meta })
  }
  warn(message: string, meta?: LogMeta): void {
    this.lines.push({ level: 'warn', message, meta })
  }
  info(message: string, meta?: LogMeta): void {
    this.lines.push({ level: 'info', message, meta })
  }
  debug(message: string, meta?: LogMeta): void {
    this.lines.push({ level: 'debug', message, meta })
  }
  errors(): string[] {
    return this.lines.filter((l) => l.level === 'error').map((l) => l.message)
  }
}

export type TestOptions = Partial<StoreOptions> & { file: string }

/** Opens a store with a fake clock and a recording logger; closed after the test. */
export async function open(
  opts: TestOptions,
): Promise<{ store: AccountStore; logger: RecordingLogger; clock: FakeClock }> {
  const logger = opts.logger instanceof RecordingLogger ? opts.logger : new RecordingLogger()
  const clock = opts.clock instanceof FakeClock ? opts.clock : new FakeClock()
  const store = await AccountStore.open({ logger, clock, ...opts })
  opened.push(store)
  return { store, logger, clock }
}

export function account(n: number | string, extra: Partial<Account> = {}): Account {
  return {
    alias: `acc${n}`,
    accessToken: `access-token-SECRET-${n}`,
    refreshToken: `refresh-token-SECRET-${n}`,
    idToken: `id-token-SECRET-${n}`,
    expiresAt: 1_900_000_000_000,
    usageCount: 0,
    email: `user${n}@example.com`,
    ...extra,
  }
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
}

export async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

/** Every regular file under dir, recursively, with its bytes. */
export async function allFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) for (const [p, b] of await allFiles(path)) out.set(p, b)
    else if (entry.isFile()) out.set(path, await readFile(path))
  }
  return out
}

export async function names(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort()
}
