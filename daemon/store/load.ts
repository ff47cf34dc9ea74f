import { dirname } from 'node:path'
import type { Clock, Logger } from '../deps.js'
import { decode, sealAtRest, type Decoded } from './codec.js'
import { newSalt, type KeyCache } from './crypto.js'
import { StoreEncryptedError, StoreVersionError } from './errors.js'
import { AtomicWriter, exists, readIfExists, syncDir, type StoreFs } from './fs.js'
import type { Migration } from './migrate.js'
import { emptyStore, type StoreData } from './schema.js'

/**
 * Open-time load: main file, else (when it is bad) the last-known-good copy,
 * else the backup. Decides; the only thing it changes on disk is moving a bad
 * main file aside, and only once a recovery source is settled.
 */
export interface Loaded {
  data: StoreData
  /** The main file's bytes, when they are already in the form we would write (for the next .bak). */
  atRest?: Buffer
  /** The salt of the file we loaded, if encrypted. */
  salt?: Buffer
  /** Why the loaded state must be written back right away. */
  rewrite?: 'migrated' | 'recovered' | 'encrypt'
  /** Original bytes and their layout, to keep as a pre-migration backup. */
  migration?: { from: Migration; bytes: Buffer }
  recoveredFrom?: string
}

export interface LoadContext {
  file: string
  fs: StoreFs
  keys?: KeyCache
  logger: Logger
  clock: Clock
}

type Candidate = { path: string; bytes: Buffer; decoded: Decoded }

async function readCandidate(ctx: LoadContext, path: string): Promise<Candidate | undefined> {
  const bytes = await readIfExists(ctx.fs, path)
  if (!bytes) return undefined
  const decoded = await decode(bytes, ctx.keys)
  if (decoded.kind === 'newer') throw new StoreVersionError(path, decoded.version)
  return { path, bytes, decoded }
}

function fromCandidate(c: Candidate & { decoded: { kind: 'ok' } }, fromMain: boolean, ctx: LoadContext): Loaded {
  const { decoded } = c
  const formMatches = decoded.encrypted === Boolean(ctx.keys)
  const loaded: Loaded = { data: decoded.data, salt: decoded.salt }
  if (fromMain && formMatches && !decoded.migratedFrom) loaded.atRest = c.bytes
  if (decoded.migratedFrom) {
    loaded.migration = { from: decoded.migratedFrom, bytes: c.bytes }
    loaded.rewrite = 'migrated'
  } else if (!formMatches) {
    // Only plaintext → encrypted reaches here: an encrypted file without keys is 'locked'.
    loaded.rewrite = 'encrypt'
  }
  return loaded
}

export async function loadStore(ctx: LoadContext): Promise<Loaded> {
  const main = await readCandidate(ctx, ctx.file)
  if (!main) return { data: emptyStore(ctx.clock.now()) }
  const d = main.decoded
  if (d.kind === 'ok') return fromCandidate({ ...main, decoded: d }, true, ctx)
  if (d.kind === 'locked') throw StoreEncryptedError.missingPassphrase(ctx.file)

  const reason = d.kind === 'corrupt' ? d.reason : 'cannot be decrypted with this passphrase'
  let keyTrouble = d.kind === 'bad-key'
  for (const path of [`${ctx.file}.lkg`, `${ctx.file}.bak`]) {
    const c = await readCandidate(ctx, path)
    if (!c) continue
    const cd = c.decoded
    if (cd.kind === 'ok') {
      const loaded = fromCandidate({ ...c, decoded: cd }, false, ctx)
      // The salt the store will write with, so the bad file is sealed with the same key.
      const salt = ctx.keys ? (loaded.salt ?? newSalt()) : undefined
      await moveAside(ctx, main.bytes, salt, reason, path)
      return { ...loaded, salt, rewrite: 'recovered', recoveredFrom: path }
    }
    // Guessing past a copy we cannot read could throw away the only good state.
    if (cd.kind === 'locked') throw StoreEncryptedError.missingPassphrase(path)
    if (cd.kind === 'bad-key') keyTrouble = true
  }
  // Every copy failed to decrypt: most likely the passphrase, so change nothing.
  if (keyTrouble) throw StoreEncryptedError.wrongPassphrase(ctx.file)
  const salt = ctx.keys ? newSalt() : undefined
  await moveAside(ctx, main.bytes, salt, reason, undefined)
  return { data: emptyStore(ctx.clock.now()), salt, rewrite: 'recovered' }
}

/** Keeps the bad file for inspection; with a passphrase never in plaintext (it may hold tokens). */
async function moveAside(
  ctx: LoadContext,
  bytes: Buffer,
  salt: Buffer | undefined,
  reason: string,
  recoveredFrom: string | undefined,
): Promise<void> {
  const stamp = new Date(ctx.clock.now()).toISOString().replace(/[:.]/g, '-')
  let aside = `${ctx.file}.corrupt-${stamp}`
  // Never let a second bad file replace an earlier one kept for inspection.
  for (let n = 1; await exists(ctx.fs, aside); n++) aside = `${ctx.file}.corrupt-${stamp}-${n}`
  const sealed = await sealAtRest(bytes, ctx.keys, salt)
  if (sealed === bytes) {
    await ctx.fs.rename(ctx.file, aside)
  } else {
    await new AtomicWriter(ctx.fs).write(aside, sealed)
    await ctx.fs.unlink(ctx.file)
  }
  await syncDir(ctx.fs, dirname(ctx.file))
  const source = recoveredFrom ? `recovered from ${recoveredFrom}` : 'no usable .lkg or .bak copy: starting EMPTY'
  ctx.logger.error(`STORE CORRUPT: ${ctx.file} (${reason}); moved it to ${aside}; ${source}`, {
    file: ctx.file,
    movedTo: aside,
    recoveredFrom,
  })
}
