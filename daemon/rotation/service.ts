import { ErrorCode, RpcError } from '../../protocol/errors.js'
import type { RotationState } from '../../protocol/methods.js'
import type { ForceState, Strategy } from '../../protocol/schemas.js'
import { requireAccount } from '../store/lookup.js'
import type { Clock } from '../deps.js'
import type { EventBus } from '../events.js'
import { clearForce, setForce } from '../store/account-state.js'
import type { AccountStore } from '../store/store.js'
import { asStrategy, DEFAULT_FORCE_TTL_MS, forceState } from './force.js'
import { healthOf } from '../health/health.js'
import { tierOf } from './order.js'
import type { RotationSelector } from './selector.js'
import type { SettingsService } from '../settings/service.js'

export interface RotationServiceDeps {
  store: AccountStore
  selector: RotationSelector
  settings: SettingsService
  bus: EventBus
  clock: Clock
}

/** rotation.*: what the rotation is doing, which strategy it uses, and force mode. */
export class RotationService {
  private readonly store: AccountStore
  private readonly selector: RotationSelector
  private readonly settings: SettingsService
  private readonly bus: EventBus
  private readonly clock: Clock

  constructor(deps: RotationServiceDeps) {
    this.store = deps.store
    this.selector = deps.selector
    this.settings = deps.settings
    this.bus = deps.bus
    this.clock = deps.clock
  }

  force(): ForceState {
    return forceState(this.store.data, this.clock.now())
  }

  /**
   * The order the next token.get would try (for `model`, when given), each
   * with its health; accounts that cannot serve follow with their reason.
   * Under force mode the pinned account is the whole order.
   */
  get(model?: string): RotationState {
    const data = this.store.data
    const now = this.clock.now()
    const settings = this.selector.settings(data)
    const force = forceState(data, now)
    const req = model === undefined ? {} : { model }
    const first = force.active && force.alias ? [force.alias] : this.selector.preview(data, req, now)
    const rest = force.active ? [] : Object.keys(data.accounts).filter((a) => !first.includes(a))
    const order = [...first, ...rest].flatMap((alias) => {
      const a = data.accounts[alias]
      if (!a) return []
      const h = healthOf(a, now, model)
      const entry: RotationState['order'][number] = { alias, health: h.health, tier: tierOf(a, settings, now) }
      if (h.health === 'ok' && !first.includes(alias)) entry.reason = 'not eligible for this model (Pro accounts only)'
      else if (h.reason !== undefined) entry.reason = h.reason
      if (h.until !== undefined) entry.until = h.until
      return [entry]
    })
    return { strategy: settings.rotationStrategy, force, activeAlias: data.activeAlias, order }
  }

  async setStrategy(strategy: Strategy): Promise<{ strategy: Strategy }> {
    const s = await this.settings.update({ rotationStrategy: strategy })
    return { strategy: s.rotationStrategy }
  }

  /** Pins one account for ttlMs (default 24 h); the strategy in effect is kept to be restored. */
  async pin(alias: string, ttlMs = DEFAULT_FORCE_TTL_MS): Promise<ForceState> {
    const now = this.clock.now()
    await this.store.update((d) => {
      const acc = requireAccount(d, alias)
      if (acc.enabled === false) {
        throw new RpcError(ErrorCode.CONFLICT, `${alias} is disabled; enable it before pinning it`, { alias })
      }
      // Re-pinning during a pin keeps the strategy from before the first one.
      const previous = forceState(d, now).active
        ? (d.previousRotationStrategy ?? this.selector.settings(d).rotationStrategy)
        : this.selector.settings(d).rotationStrategy
      setForce(d, alias, now + ttlMs, previous)
    })
    const state = this.force()
    this.bus.emit('rotation.changed', { change: 'force', alias, until: state.until })
    return state
  }

  /** Ends the pin and puts back the strategy it remembered. */
  async clearForce(): Promise<ForceState> {
    const now = this.clock.now()
    const restored = await this.store.update((d) => {
      const wasActive = forceState(d, now).active
      const previous = asStrategy(clearForce(d))
      if (!wasActive || !previous) return null
      d.settings = { ...(d.settings ?? {}), rotationStrategy: previous }
      return previous
    })
    this.bus.emit('rotation.changed', { change: 'force-cleared', ...(restored ? { strategy: restored } : {}) })
    return this.force()
  }
}
