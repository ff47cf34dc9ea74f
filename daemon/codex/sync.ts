/**
 * Keeps the daemon and the Codex CLI's auth.json in step (docs/architecture.md#invariants, 13 and 14):
 * adopts what Codex writes, writes back what the daemon refreshes, switches
 * Codex to another account on request. Every file operation runs through one
 * queue, so a watcher check never interleaves with a write.
 */
import { SerialQueue } from '../store/serial-queue.js'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { CodexSyncResult } from '../../protocol/methods.js'
import { isJwt } from '../auth/jwt.js'
import { isRefreshError } from '../auth/oauth-errors.js'
import type { AccountService } from '../accounts/service.js'
import { requireAccount } from '../store/lookup.js'
import type { IncomingTokens } from '../accounts/upsert.js'
import type { Clock, Logger } from '../deps.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'
import type { Refresher } from '../tokens/refresher.js'
import { incomingFrom } from './auth-file.js'
import { inspectLink, withLink, type LinkInfo } from './link.js'
import { noLock, type CodexLock } from './lock.js'
import { readAuthFile } from './reader.js'
import { AuthFileWatcher } from './watcher.js'
import { writePair, type WriteContext, type WriteMode, type WriteOutcome } from './writeback.js'
import { CodexFileWriter } from './writer.js'
import { nodeFs, type StoreFs } from '../store/fs.js'

/** `codex.use` refreshes first when the token has less life than this (Codex refreshes under 300 s). */
export const USE_MIN_LIFETIME_MS = 15 * 60_000

export interface CodexSyncOptions {
  file: string
  accounts: AccountService
  store: AccountStore
  refresher: Refresher
  clock: Clock
  logger: Logger
  lock?: CodexLock
  /** The file system auth.json is written through (default node:fs). */
  fs?: StoreFs
  debounceMs?: number
  safetyNetMs?: number
  readDelays?: readonly number[]
  /** Test seam, see WriteContext.beforeRename. */
  beforeRename?: () => Promise<void>
}

/** Counters for tests and the bench. */
export interface CodexSyncStats {
  /** Reads of auth.json (watcher, safety net, codex.sync). */
  reads: number
  /** Reads dropped because the content was already seen or was our own write. */
  duplicates: number
  /** Times tokens from the file changed the store (added or updated). */
  adopted: number
  /** Successful writes of auth.json. */
  writes: number
}

export class CodexSync {
  private lastHash: string | undefined
  private last: CodexSyncResult
  /** auth.json's link state as last looked at (undefined: not a link). */
  private link: LinkInfo | undefined
  private linkWarned: string | undefined
  private readonly queue = new SerialQueue()
  private stopped = true
  readonly stats: CodexSyncStats = { reads: 0, duplicates: 0, adopted: 0, writes: 0 }
  private readonly watcher: AuthFileWatcher
  private readonly ctx: WriteContext

  constructor(private readonly opts: CodexSyncOptions) {
    this.last = { path: opts.file, action: 'none', detail: 'not read yet', at: opts.clock.now() }
    this.watcher = new AuthFileWatcher({
      file: opts.file,
      clock: opts.clock,
      logger: opts.logger,
      debounceMs: opts.debounceMs,
      safetyNetMs: opts.safetyNetMs,
      onChange: (reason) => this.serial(() => this.check(reason, false)).then(() => {}),
    })
    this.ctx = {
      file: opts.file,
      clock: opts.clock,
      logger: opts.logger,
      lock: opts.lock ?? noLock,
      writer: new CodexFileWriter(opts.fs ?? nodeFs),
      readDelays: opts.readDelays,
      adopt: (tokens, hash) => this.adopt(tokens, hash, 'write-back'),
      wrote: (hash) => {
        this.lastHash = hash
        this.stats.writes++
      },
      beforeRename: opts.beforeRename,
    }
    opts.refresher.onRefreshed((alias, account) => this.afterRefresh(alias, account))
  }

  get path(): string {
    return this.opts.file
  }

  /** What the last read of auth.json did. */
  get lastResult(): CodexSyncResult {
    return { ...this.last }
  }

  /** Where the watch sits (auth.json's directory or an ancestor while it is missing). */
  get watching(): string | undefined {
    return this.watcher.watching
  }

  async start(): Promise<void> {
    this.stopped = false
    await this.ctx.writer.sweepTemps(this.opts.file)
    const link = await this.lookAtLink()
    if (link?.writable) await this.ctx.writer.sweepTemps(link.target)
    await this.watcher.start()
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.watcher.stop()
    await this.queue.idle()
  }

  /** Resolves once every queued read and write-back is done (a write-back runs after its refresh returns). */
  async settled(): Promise<void> {
    await this.queue.idle()
  }

  /** `codex.sync`: read auth.json now, even when its content was seen before. */
  sync(): Promise<CodexSyncResult> {
    return this.serial(() => this.check('codex.sync', true))
  }

  /** `codex.use`: make auth.json hold this account. */
  async use(alias: string): Promise<{ alias: string; path: string }> {
    const acc = requireAccount(this.opts.store.data, alias)
    if (!acc.idToken || !isJwt(acc.idToken)) {
      throw new RpcError(
        ErrorCode.CONFLICT,
        `${alias} has no id token, and Codex rejects an auth.json without one; sign in again with \`opencode-multi-auth add\``,
        { alias, reason: 'no_id_token' },
      )
    }
    if (acc.authInvalid) {
      throw new RpcError(ErrorCode.AUTH_INVALID, `${alias} needs to sign in again before Codex can use it`, { alias })
    }
    // Outside the queue: the refresh's own write-back listener goes through it.
    if (acc.expiresAt - this.opts.clock.now() < USE_MIN_LIFETIME_MS) await this.refreshForUse(alias)
    const outcome = await this.serial(async () => {
      // Keep whatever Codex holds now (maybe a pair it just rotated) before replacing it.
      await this.check('codex.use', true)
      return this.write(requireAccount(this.opts.store.data, alias), 'switch')
    })
    if (outcome === 'link-refused') {
      const link = await this.lookAtLink()
      throw new RpcError(
        ErrorCode.CONFLICT,
        `could not switch Codex to ${alias}: ${this.opts.file} is a link the daemon does not write through (${link?.reason ?? 'see codex sync'})`,
        { alias, reason: outcome },
      )
    }
    if (outcome !== 'written' && outcome !== 'same' && outcome !== 'adopted') {
      throw new RpcError(ErrorCode.CONFLICT, `could not switch Codex to ${alias} (${outcome})`, {
        alias,
        reason: outcome,
      })
    }
    this.opts.logger.info('Codex auth.json now holds an account of ours', { alias, outcome })
    return { alias, path: this.opts.file }
  }

  private async refreshForUse(alias: string): Promise<Account> {
    try {
      return await this.opts.refresher.refresh(alias, 'codex-use')
    } catch (err) {
      const permanent = isRefreshError(err) && err.permanent
      throw new RpcError(
        permanent ? ErrorCode.AUTH_INVALID : ErrorCode.CONFLICT,
        `${alias}'s token is about to expire and could not be refreshed${permanent ? '; sign in again' : '; try again shortly'}`,
        { alias, code: isRefreshError(err) ? err.code : 'unknown' },
      )
    }
  }

  private async afterRefresh(alias: string, account: Readonly<Account>): Promise<void> {
    if (this.stopped) return
    // The store's entry as of the job's turn: something newer may have landed while it waited.
    const outcome = await this.serial(() => this.write(this.opts.store.data.accounts[alias] ?? account, 'refresh'))
    if (outcome === 'written') this.opts.logger.info('wrote the refreshed tokens to Codex auth.json', { alias })
    else if (outcome === 'link-refused') await this.lookAtLink(alias)
    else if (outcome !== 'not-held' && outcome !== 'same') {
      this.opts.logger.warn('could not write the refreshed tokens to Codex auth.json', { alias, outcome })
    }
  }

  private write(acc: Readonly<Account>, mode: WriteMode): Promise<WriteOutcome> {
    return writePair(this.ctx, acc, mode)
  }

  private async check(reason: string, force: boolean): Promise<CodexSyncResult> {
    const file = this.opts.file
    const at = (): number => this.opts.clock.now()
    const cur = await readAuthFile(file, { clock: this.opts.clock, delays: this.opts.readDelays })
    await this.lookAtLink()
    this.stats.reads++
    if (cur.kind === 'missing') {
      this.lastHash = undefined
      return this.record({ path: file, action: 'missing', at: at() })
    }
    if (!force && cur.hash !== undefined && cur.hash === this.lastHash) {
      this.stats.duplicates++
      return this.lastResult
    }
    this.lastHash = cur.hash
    if (cur.kind === 'invalid') {
      this.opts.logger.warn('Codex auth.json is not readable; keeping the stored tokens', {
        reason: cur.reason,
        path: file,
      })
      return this.record({ path: file, action: 'invalid', detail: cur.reason, at: at() })
    }
    if (cur.kind === 'no-tokens')
      return this.record({ path: file, action: 'none', detail: 'no ChatGPT tokens in the file', at: at() })
    const result = await this.adopt(incomingFrom(cur), cur.hash, reason)
    if (result.action === 'older' && result.alias !== undefined) {
      // The file holds a pair we have already replaced — its refresh token is likely spent.
      // Hand Codex the current one, so it never presents a spent token (which revokes the family).
      const acc = this.opts.store.data.accounts[result.alias]
      if (acc && acc.refreshToken !== cur.tokens.refresh_token) {
        const healed = await this.write(acc, 'refresh')
        this.opts.logger.info('Codex auth.json held older tokens than the store; kept the newer ones', {
          alias: result.alias,
          rewrite: healed,
        })
        return this.record({
          ...result,
          detail: `kept the newer stored tokens; auth.json ${healed === 'written' ? 'rewritten' : healed}`,
        })
      }
    }
    return result
  }

  private async adopt(tokens: IncomingTokens, hash: string, reason: string): Promise<CodexSyncResult> {
    this.lastHash = hash
    const r = await this.opts.accounts.add(tokens, { source: 'codex' })
    if (r.action === 'added' || r.action === 'updated') {
      this.stats.adopted++
      this.opts.logger.info(`adopted tokens from Codex auth.json (${r.action})`, { alias: r.alias, reason })
    }
    return this.record({ path: this.opts.file, action: r.action, alias: r.alias, at: this.opts.clock.now() })
  }

  private record(r: CodexSyncResult): CodexSyncResult {
    this.last = withLink(r, this.link)
    return this.lastResult
  }

  /**
   * Re-reads whether auth.json is a link and where it leads; warns (once per
   * state, no secrets) when it is one the daemon will not write through.
   * `alias`: a write-back for that account was just refused because of it.
   */
  private async lookAtLink(alias?: string): Promise<LinkInfo | undefined> {
    const link = await inspectLink(this.opts.file)
    this.link = link
    this.last = withLink(this.last, link)
    const key = link && !link.writable ? `${link.target}\0${link.reason ?? ''}` : undefined
    if (key !== undefined && (key !== this.linkWarned || alias !== undefined)) {
      this.opts.logger.warn('Codex auth.json is a symbolic link the daemon does not write through; left it alone', {
        path: this.opts.file,
        target: link?.target,
        reason: link?.reason,
        ...(alias !== undefined ? { alias, skipped: 'write-back of the refreshed tokens' } : {}),
      })
    }
    this.linkWarned = key
    return link
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.run(job)
  }
}
