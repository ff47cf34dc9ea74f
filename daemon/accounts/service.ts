import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { AccountView } from '../../protocol/schemas.js'
import type { Clock } from '../deps.js'
import type { EventBus } from '../events.js'
import { requireAccount } from '../store/lookup.js'
import type { AccountStore } from '../store/store.js'
import { clearForceIfPinned, setEnabled } from '../store/account-state.js'
import { readSettings } from '../settings/read.js'
import {
  AliasConflictError,
  NotChatGptTokenError,
  upsertTokens,
  type IncomingTokens,
  type UpsertResult,
} from './upsert.js'
import { toView } from './view.js'
import { peekAccounts } from '../store/draft.js'

export interface AccountServiceDeps {
  store: AccountStore
  bus: EventBus
  clock: Clock
}

/** Account bookkeeping: everything the `accounts.*` methods do, minus tokens' lifecycle. */
export class AccountService {
  private readonly store: AccountStore
  private readonly bus: EventBus
  private readonly clock: Clock

  constructor(deps: AccountServiceDeps) {
    this.store = deps.store
    this.bus = deps.bus
    this.clock = deps.clock
  }

  view(alias: string): AccountView {
    const data = this.store.data
    const acc = requireAccount(data, alias)
    const weights = readSettings(data).accountWeights
    return toView(alias, acc, this.clock.now(), Object.hasOwn(weights, alias) ? weights[alias] : undefined)
  }

  list(): AccountView[] {
    return Object.keys(this.store.data.accounts).map((a) => this.view(a))
  }

  async add(tokens: IncomingTokens, opts: { alias?: string; source: string }): Promise<UpsertResult> {
    let result: UpsertResult
    try {
      result = await this.store.update((d) => upsertTokens(d, tokens, { now: this.clock.now(), ...opts }))
    } catch (err) {
      if (err instanceof AliasConflictError) throw new RpcError(ErrorCode.CONFLICT, err.message, { alias: opts.alias })
      if (err instanceof NotChatGptTokenError) {
        throw new RpcError(ErrorCode.INVALID_PARAMS, err.message, {
          fields: [{ path: 'accessToken', message: err.message }],
        })
      }
      throw err
    }
    if (result.action === 'added' || result.action === 'updated') {
      this.bus.emit('account.updated', { alias: result.alias, change: result.action })
    }
    return result
  }

  async remove(alias: string): Promise<void> {
    await this.store.update((d) => {
      requireAccount(d, alias)
      delete d.accounts[alias]
      if (d.activeAlias === alias) d.activeAlias = Object.keys(d.accounts)[0] ?? null
      clearForceIfPinned(d, alias)
      const weights = d.settings?.accountWeights
      if (weights && typeof weights === 'object') delete (weights as Record<string, unknown>)[alias]
    })
    this.bus.emit('account.updated', { alias, change: 'removed' })
  }

  async setEnabled(alias: string, enabled: boolean): Promise<AccountView> {
    await this.store.update((d) => {
      const acc = requireAccount(d, alias)
      if (!enabled && acc.enabled !== false) {
        const others = Object.entries(peekAccounts(d)).filter(([a, x]) => a !== alias && x.enabled !== false)
        if (others.length === 0) {
          throw new RpcError(ErrorCode.CONFLICT, `${alias} is the last enabled account; enable another one first`, {
            alias,
          })
        }
      }
      setEnabled(acc, enabled, this.clock.now())
      if (!enabled) clearForceIfPinned(d, alias)
    })
    this.bus.emit('account.updated', { alias, change: enabled ? 'enabled' : 'disabled' })
    return this.view(alias)
  }

  async update(
    alias: string,
    patch: { tags?: string[]; notes?: string; weight?: number | null },
  ): Promise<AccountView> {
    await this.store.update((d) => {
      const acc = requireAccount(d, alias)
      if (patch.tags !== undefined) acc.tags = [...new Set(patch.tags)]
      if (patch.notes !== undefined) acc.notes = patch.notes
      if (patch.weight === null) delete acc.weight
      else if (patch.weight !== undefined) acc.weight = patch.weight
    })
    this.bus.emit('account.updated', { alias, change: 'updated' })
    return this.view(alias)
  }
}
