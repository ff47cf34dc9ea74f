import { fieldErrors, type FieldError, type InvalidParamsData } from '../../protocol/error-data.js'
import { ErrorCode, RpcError } from '../../protocol/errors.js'
import {
  DEFAULT_SETTINGS,
  settingsSchema,
  type Preset,
  type Settings,
  type SettingsPatch,
} from '../../protocol/schemas.js'
import type { Clock } from '../deps.js'
import type { EventBus } from '../events.js'
import { rememberStrategyForForce } from '../store/account-state.js'
import type { AccountStore } from '../store/store.js'
import type { StoreData } from '../store/schema.js'
import { readSettings } from './read.js'

/**
 * What each named preset sets. `balanced` also returns to equal weights;
 * the others change only the thresholds; `custom` changes nothing (it is
 * what any hand-made change turns the preset into).
 */
export const PRESET_VALUES: Record<Exclude<Preset, 'custom'>, Partial<Settings>> = {
  balanced: { criticalThreshold: 10, lowThreshold: 30, accountWeights: {} },
  conservative: { criticalThreshold: 20, lowThreshold: 40 },
  aggressive: { criticalThreshold: 5, lowThreshold: 20 },
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** A named preset stays named only while the values it governs are its own. */
function presetHolds(s: Settings): boolean {
  if (s.preset === 'custom') return true
  return Object.entries(PRESET_VALUES[s.preset]).every(([k, v]) => same(s[k as keyof Settings], v))
}

function invalid(fields: FieldError[]): RpcError {
  // The message names the fields; data.fields says what is wrong with each.
  const data: InvalidParamsData = { fields }
  return new RpcError(ErrorCode.INVALID_PARAMS, `invalid settings: ${fields.map((f) => f.path).join(', ')}`, data)
}

export interface SettingsDeps {
  store: AccountStore
  bus: EventBus
  clock: Clock
  /** Whether an account is pinned (rotation's force mode) in this state at `now`. */
  pinActive(data: Readonly<StoreData>, now: number): boolean
}

/**
 * settings.get|update|reset|applyPreset. Every change is validated as a whole
 * (thresholds in 0–100 and critical < low, weights in (0,1] summing to 1,
 * strategy from the list) inside the store's serialized update, so an invalid
 * change throws before anything is written.
 */
export class SettingsService {
  private readonly listeners: Array<(s: Settings) => void> = []

  private readonly store: AccountStore
  private readonly bus: EventBus
  private readonly clock: Clock

  constructor(private readonly deps: SettingsDeps) {
    this.store = deps.store
    this.bus = deps.bus
    this.clock = deps.clock
  }

  /** Runs after every saved change (the composition root re-arms keep-alive with it). */
  onChange(fn: (s: Settings) => void): void {
    this.listeners.push(fn)
  }

  get(): Settings {
    return readSettings(this.store.data)
  }

  /** The patch's fields were checked one by one (protocol's settingsPatch); here the whole is. */
  update(patch: SettingsPatch): Promise<Settings> {
    return this.save((current, d) => {
      const named = patch.preset !== undefined && patch.preset !== 'custom' ? patch.preset : undefined
      const base: Settings = named ? { ...current, ...PRESET_VALUES[named] } : { ...current }
      const merged = { ...base, ...patch }
      const parsed = settingsSchema.safeParse(merged)
      if (!parsed.success) throw invalid(this.blame(fieldErrors(parsed.error), patch))
      // The patch's own keys too: schema parsing drops a `__proto__` key without a word.
      const raw = patch.accountWeights
      const weighted = new Set([
        ...Object.keys(parsed.data.accountWeights),
        ...(typeof raw === 'object' && raw !== null ? Object.keys(raw) : []),
      ])
      const unknownAliases = [...weighted].filter((a) => !Object.hasOwn(d.accounts, a))
      if (unknownAliases.length) {
        throw invalid(
          unknownAliases.map((a) => ({ path: `accountWeights.${a}`, message: `no account with alias ${a}` })),
        )
      }
      const next = parsed.data
      if (!presetHolds(next)) next.preset = 'custom'
      return next
    })
  }

  reset(): Promise<Settings> {
    return this.save(() => ({ ...DEFAULT_SETTINGS, accountWeights: {} }))
  }

  applyPreset(preset: Preset): Promise<Settings> {
    return this.save((current) => ({ ...current, ...(preset === 'custom' ? {} : PRESET_VALUES[preset]), preset }))
  }

  /** Computes the next settings from the current ones inside one serialized store update. */
  private async save(next: (current: Settings, draft: StoreData) => Settings): Promise<Settings> {
    const saved = await this.store.update((d) => {
      const current = readSettings(d)
      const s = next(current, d)
      // Keys the old plugin kept in settings (and we do not know) survive.
      d.settings = { ...(d.settings ?? {}), ...s }
      // A strategy chosen while a pin is active is the one the pin's end restores.
      if (s.rotationStrategy !== current.rotationStrategy && this.deps.pinActive(d, this.clock.now())) {
        rememberStrategyForForce(d, s.rotationStrategy)
      }
      return s
    })
    this.bus.emit('rotation.changed', { change: 'settings', strategy: saved.rotationStrategy })
    for (const fn of this.listeners) fn(saved)
    return saved
  }

  /** critical < low is checked on criticalThreshold; name the key the caller actually changed. */
  private blame(fields: FieldError[], patch: SettingsPatch): FieldError[] {
    return fields.map((f) =>
      f.path === 'criticalThreshold' &&
      f.message.includes('less than lowThreshold') &&
      patch.criticalThreshold === undefined &&
      patch.lowThreshold !== undefined
        ? { ...f, path: 'lowThreshold', message: 'lowThreshold must be greater than criticalThreshold' }
        : f,
    )
  }
}
