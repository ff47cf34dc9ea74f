import { ALERT_TOPICS } from '../../protocol/alerts.js'
import type { DaemonEvent } from '../../protocol/events.js'
import type { Settings } from '../../protocol/schemas.js'
import type { Clock, Timer } from '../deps.js'
import type { EventBus } from '../events.js'
import { blockingResetAt } from '../limits/record.js'
import { limitsView, minRemainingPercent } from '../limits/view.js'
import { healthOf } from '../health/health.js'
import { readSettings } from '../settings/read.js'
import type { AccountStore } from '../store/store.js'
import type { Account } from '../store/schema.js'

/** Back above a threshold only by this many points more: readings that hover around it alert once. */
export const THRESHOLD_HYSTERESIS = 2

type Level = 'normal' | 'low' | 'critical'
const RANK: Record<Level, number> = { normal: 0, low: 1, critical: 2 }

interface State {
  level: Level
  limited: boolean
  limitedUntil?: number
  authInvalid: boolean
  servable: boolean
  timer?: Timer
  timerAt?: number
}

function levelOf(left: number | undefined, prev: Level, s: Settings): Level {
  if (left === undefined) return 'normal'
  const raw: Level = left < s.criticalThreshold ? 'critical' : left < s.lowThreshold ? 'low' : 'normal'
  if (RANK[raw] >= RANK[prev]) return raw
  // Better than before: only as far as the readings clear the threshold by the margin.
  if (prev === 'critical' && left < s.criticalThreshold + THRESHOLD_HYSTERESIS) return 'critical'
  if (left < s.lowThreshold + THRESHOLD_HYSTERESIS) return 'low'
  return raw
}

/** The window that is lowest, to name it in the alert. */
function lowestWindow(a: Account, now: number): 'fiveHour' | 'weekly' | undefined {
  const v = limitsView(a, now)
  const f = v.fiveHour?.remainingPercent
  const w = v.weekly?.remainingPercent
  if (f === undefined) return w === undefined ? undefined : 'weekly'
  return w === undefined || f <= w ? 'fiveHour' : 'weekly'
}

/**
 * Turns account state into alerts, each raised once per crossing: it keeps what it last
 * saw per account and raises an event only on a change of level, of limited, of sign-in
 * state, and of the pool as a whole. A timer per account notices a limit that lifts by
 * itself (nothing else happens then).
 */
export class AlertMonitor {
  private readonly states = new Map<string, State>()
  private servable = 0
  private exhausted = false
  private settings: Settings | undefined
  private unsubscribe: (() => void) | undefined

  constructor(private readonly deps: { store: AccountStore; bus: EventBus; clock: Clock }) {}

  /** Takes today's state as the baseline (no alerts for it), then follows every change. */
  start(): void {
    for (const alias of Object.keys(this.deps.store.data.accounts)) this.evaluate(alias, false)
    this.exhausted = this.states.size > 0 && this.servable === 0
    this.unsubscribe = this.deps.bus.subscribe(undefined, (e) => this.onEvent(e))
  }

  stop(): void {
    this.unsubscribe?.()
    for (const s of this.states.values()) if (s.timer) this.deps.clock.clearTimeout(s.timer)
    this.states.clear()
  }

  private onEvent(e: DaemonEvent): void {
    if ((ALERT_TOPICS as readonly string[]).includes(e.type)) return
    if (e.type === 'store.reloaded' || (e.type === 'rotation.changed' && e.change === 'settings')) {
      // Thresholds may have changed: every account is looked at again.
      this.settings = undefined
      for (const alias of new Set([...this.states.keys(), ...Object.keys(this.deps.store.data.accounts)]))
        this.evaluate(alias, true)
    } else if (e.type !== 'rotation.changed' && 'alias' in e) {
      this.evaluate(e.alias, true)
    }
    this.checkPool()
  }

  private settingsNow(): Settings {
    const s = this.settings ?? readSettings(this.deps.store.data)
    this.settings = s
    return s
  }

  private evaluate(alias: string, emit: boolean): void {
    const { store, bus, clock } = this.deps
    const acc = Object.hasOwn(store.data.accounts, alias) ? store.data.accounts[alias] : undefined
    const prev = this.states.get(alias)
    if (!acc) {
      if (prev?.timer) clock.clearTimeout(prev.timer)
      if (prev?.servable) this.servable--
      this.states.delete(alias)
      return
    }
    const now = clock.now()
    const h = healthOf(acc, now)
    const blocking = blockingResetAt(acc, now)
    const limited = h.health === 'rate_limited' || blocking !== undefined
    const limitedUntil = limited ? Math.max(h.health === 'rate_limited' ? (h.until ?? 0) : 0, blocking ?? 0) : undefined
    const left = minRemainingPercent(acc, now)
    const s = this.settingsNow()
    const next: State = {
      level: levelOf(left, prev?.level ?? 'normal', s),
      limited,
      limitedUntil,
      authInvalid: acc.authInvalid === true,
      servable: h.health === 'ok',
      timer: prev?.timer,
      timerAt: prev?.timerAt,
    }
    if (emit && prev) {
      const level = next.level
      if (level !== 'normal' && RANK[level] > RANK[prev.level] && left !== undefined) {
        const window = lowestWindow(acc, now)
        bus.emit('limits.threshold', {
          alias,
          level,
          remainingPercent: left,
          threshold: level === 'critical' ? s.criticalThreshold : s.lowThreshold,
          ...(window ? { window } : {}),
        })
      }
      if (prev.limited && !limited && h.health !== 'disabled' && h.health !== 'auth_invalid') {
        bus.emit('limits.reset', { alias, ...(prev.limitedUntil ? { limitedUntil: prev.limitedUntil } : {}) })
      }
      if (!prev.authInvalid && next.authInvalid) {
        bus.emit('account.needsLogin', { alias, ...(acc.authInvalidReason ? { reason: acc.authInvalidReason } : {}) })
      }
    }
    this.servable += (next.servable ? 1 : 0) - (prev?.servable ? 1 : 0)
    this.states.set(alias, next)
    this.arm(alias, next, limitedUntil ?? h.until, now)
  }

  /** One timer per account, at the time its state changes by itself. */
  private arm(alias: string, st: State, at: number | undefined, now: number): void {
    const { clock } = this.deps
    if (st.timerAt === at && (at === undefined || at > now)) return
    if (st.timer) clock.clearTimeout(st.timer)
    st.timer = undefined
    st.timerAt = undefined
    if (at === undefined || at <= now) return
    st.timerAt = at
    st.timer = clock.setTimeout(
      () => {
        st.timer = undefined
        st.timerAt = undefined
        this.evaluate(alias, true)
        this.checkPool()
      },
      at - now + 1,
    )
    st.timer.unref?.()
  }

  private checkPool(): void {
    const accounts = this.states.size
    const empty = accounts > 0 && this.servable === 0
    if (empty && !this.exhausted) {
      const frees = [...this.states.values()].map((s) => s.timerAt).filter((t): t is number => t !== undefined)
      this.deps.bus.emit('pool.exhausted', {
        accounts,
        ...(frees.length ? { nextResetAt: Math.min(...frees) } : {}),
      })
    }
    this.exhausted = empty
  }
}
