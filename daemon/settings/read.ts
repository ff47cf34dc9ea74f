import { DEFAULT_SETTINGS, settingsSchema, type Settings } from '../../protocol/schemas.js'
import type { StoreData } from '../store/schema.js'

/**
 * Effective settings: stored values over defaults. A stored value that no
 * longer validates (hand edit, older version) falls back to the default for
 * that key rather than taking the daemon down.
 */
export function readSettings(data: StoreData): Settings {
  // Read on hot paths (every outbound call asks for the proxy): validated once per stored
  // version. Every change to the settings is a new object (store updates copy what they change).
  const key = data.settings
  if (key && last?.settings === key && last.strategy === data.rotationStrategy) return last.value
  const value = Object.freeze(compute(data))
  if (key) last = { settings: key, strategy: data.rotationStrategy, value }
  return value
}

let last: { settings: object; strategy: unknown; value: Settings } | undefined

function compute(data: StoreData): Settings {
  const stored = (data.settings ?? {}) as Record<string, unknown>
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS }
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    if (stored[key] !== undefined) merged[key] = stored[key]
  }
  // The old plugin kept the strategy at the top level too.
  if (stored.rotationStrategy === undefined && data.rotationStrategy) merged.rotationStrategy = data.rotationStrategy
  const parsed = settingsSchema.safeParse(merged)
  if (parsed.success) return parsed.data
  const safe: Record<string, unknown> = { ...DEFAULT_SETTINGS }
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const trial = { ...safe, [key]: merged[key] }
    if (settingsSchema.safeParse(trial).success) safe[key] = merged[key]
  }
  return settingsSchema.parse(safe)
}
