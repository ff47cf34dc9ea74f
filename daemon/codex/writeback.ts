/**
 * Writing a token pair into Codex's auth.json (docs/architecture.md#invariants, 14): after the daemon
 * refreshed the account the file holds ("refresh"), or when the user switches
 * Codex to another account ("switch", `codex.use`).
 *
 * Under the Codex lock when we can get it (see lock.ts), and in any case with
 * a re-read just before the rename: if Codex changed the file meanwhile we
 * start over, and a newer pair of the same account is adopted instead of
 * overwritten.
 */
import { identityFromTokens, isJwt, isNewerToken, sameIdentity } from '../auth/jwt.js'
import type { IncomingTokens } from '../accounts/upsert.js'
import type { Clock, Logger } from '../deps.js'
import type { Account } from '../store/schema.js'
import { buildAuthJson, contentHash, incomingFrom, serializeAuth } from './auth-file.js'
import { inspectLink } from './link.js'
import type { CodexLock } from './lock.js'
import { hashOf, readAuthFile, type ReadResult } from './reader.js'
import type { CodexFileWriter } from './writer.js'

export type WriteMode = 'refresh' | 'switch'

export type WriteOutcome =
  | 'written'
  /** The file already held exactly this pair. */
  | 'same'
  /** The file held a newer pair of the same account: adopted, not overwritten. */
  | 'adopted'
  /** refresh mode: the file is absent or holds another account; nothing to do. */
  | 'not-held'
  /** No JWT id_token for this account: Codex would reject the file. */
  | 'no-id-token'
  | 'no-account-id'
  /** The file kept changing under us. */
  | 'conflict'
  /** auth.json is a link we must not write through (see link.ts): both left alone. */
  | 'link-refused'

export interface WriteContext {
  file: string
  clock: Clock
  logger: Logger
  lock: CodexLock
  writer: CodexFileWriter
  readDelays?: readonly number[]
  /** Stores tokens found in the file (through upsertTokens). */
  adopt(tokens: IncomingTokens, hash: string): Promise<unknown>
  /** Records the hash of what we wrote, so the watcher does not re-import it. */
  wrote(hash: string): void
  /** Test seam: runs between writing the temp file and the pre-rename re-read. */
  beforeRename?: () => Promise<void>
}

const ATTEMPTS = 3

type Held = Extract<ReadResult, { kind: 'tokens' }>

export function holdsAccount(cur: ReadResult, acc: Readonly<Account>): cur is Held {
  if (cur.kind !== 'tokens') return false
  const id = identityFromTokens({ accessToken: cur.tokens.access_token, idToken: cur.tokens.id_token ?? undefined })
  return sameIdentity(
    { accountId: acc.accountId, userId: acc.userId, accountUserId: acc.accountUserId, email: acc.email },
    id,
  )
}

export async function writePair(ctx: WriteContext, acc: Readonly<Account>, mode: WriteMode): Promise<WriteOutcome> {
  const read = (): Promise<ReadResult> => readAuthFile(ctx.file, { clock: ctx.clock, delays: ctx.readDelays })
  // Cheap check first, so a refresh of an account Codex does not hold costs no lock.
  if (mode === 'refresh' && !holdsAccount(await read(), acc)) return 'not-held'
  // Codex's lock lives next to auth.json (the link), whatever the link points at.
  const dir = await ctx.writer.ensureDir(ctx.file)
  const release = await ctx.lock.acquire(dir)
  try {
    const link = await inspectLink(ctx.file)
    if (link && !link.writable) return 'link-refused'
    // Through a link: the temp file and the rename go to the target's directory, so the link stays a link.
    const dest = link?.target ?? ctx.file
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const cur = await read()
      const same = holdsAccount(cur, acc)
      if (mode === 'refresh' && !same) return 'not-held'
      // Switching away from another account: keep what the file holds for it first (read
      // under the lock), or a pair Codex just rotated would be lost with its refresh token.
      const held: ReadResult = cur // the guard's false branch still may hold tokens: another account's
      if (!same && held.kind === 'tokens') await ctx.adopt(incomingFrom(held), held.hash)
      if (same) {
        if (cur.tokens.access_token === acc.accessToken && cur.tokens.refresh_token === acc.refreshToken) return 'same'
        if (isNewerToken(cur.tokens.access_token, acc.accessToken)) {
          await ctx.adopt(incomingFrom(cur), cur.hash)
          return 'adopted'
        }
      }
      const fileIdToken = same ? cur.tokens.id_token : undefined
      const idToken =
        acc.idToken && isJwt(acc.idToken) ? acc.idToken : fileIdToken && isJwt(fileIdToken) ? fileIdToken : undefined
      if (!idToken) return 'no-id-token'
      const accountId =
        acc.accountId ??
        identityFromTokens({ accessToken: acc.accessToken, idToken }).accountId ??
        (same ? cur.tokens.account_id : undefined)
      if (!accountId) return 'no-account-id'
      const existing = cur.kind === 'tokens' || cur.kind === 'no-tokens' ? cur.json : undefined
      const json = buildAuthJson(
        existing,
        { accessToken: acc.accessToken, refreshToken: acc.refreshToken, idToken, accountId },
        ctx.clock.now(),
        same,
      )
      const bytes = serializeAuth(json)
      const seen = 'hash' in cur ? cur.hash : undefined
      const ok = await ctx.writer.write(dest, bytes, async () => {
        await ctx.beforeRename?.()
        // A link re-pointed meanwhile counts as a change like any other.
        if (link && (await inspectLink(ctx.file))?.target !== dest) return false
        return (await hashOf(ctx.file)) === seen
      })
      if (ok) {
        ctx.wrote(contentHash(bytes))
        return 'written'
      }
      ctx.logger.info('Codex changed auth.json while we were writing it; reading it again', { attempt })
    }
    return 'conflict'
  } finally {
    await release()
  }
}
