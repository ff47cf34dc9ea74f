import { describe, expect, it } from 'vitest'
import { readSettings } from '../../daemon/settings/read.js'
import { emptyStore, type StoreData } from '../../daemon/store/schema.js'

const withSettings = (settings: Record<string, unknown>, over: Partial<StoreData> = {}): StoreData => ({
  ...emptyStore(0),
  settings,
  ...over,
})

describe('readSettings, validated once per stored version', () => {
  it('answers the same stored settings object with the same frozen result', () => {
    const data = withSettings({ lowThreshold: 40 })
    const first = readSettings(data)
    expect(readSettings(data)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(first.lowThreshold).toBe(40)
  })

  it('sees a new settings object and a changed top-level strategy at once', () => {
    const settings = { lowThreshold: 40 }
    expect(readSettings(withSettings(settings)).lowThreshold).toBe(40)
    expect(readSettings(withSettings({ lowThreshold: 45 })).lowThreshold).toBe(45)
    const a = readSettings(withSettings(settings, { rotationStrategy: 'sticky' }))
    const b = readSettings(withSettings(settings, { rotationStrategy: 'round-robin' }))
    expect([a.rotationStrategy, b.rotationStrategy]).toEqual(['sticky', 'round-robin'])
  })

  it('a store without settings gets the defaults every time', () => {
    expect(readSettings(emptyStore(0))).toEqual(readSettings(emptyStore(1)))
  })
})
