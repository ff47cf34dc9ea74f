import { describe, expect, it } from 'vitest'
import { accountRunway, poolRunway } from '../../daemon/usage/runway.js'
import { newBucket, type StoredBucket } from '../../daemon/usage/buckets.js'
import type { LimitsView } from '../../protocol/schemas.js'

const NOW = Date.UTC(2026, 10, 28, 12)
const H = 3_600_000

function reading(hoursAgo: number, used: number, resetAt: number): StoredBucket {
  const at = NOW - hoursAgo * H
  return { ...newBucket(Math.floor(at / H) * H, 1), limitsAt: at, fiveHourUsedPercent: used, fiveHourResetAt: resetAt }
}

function view(used: number, resetAt: number): LimitsView {
  return {
    confidence: 'fresh',
    fiveHour: { windowMinutes: 300, usedPercent: used, remainingPercent: 100 - used, resetAt, updatedAt: NOW },
  }
}

describe('runway', () => {
  it('projects when the binding window runs out from the burn of the last hours', () => {
    const reset = NOW + 10 * H
    const r = accountRunway(view(60, reset), [reading(2, 40, reset), reading(1, 50, reset)], NOW)
    // 20 points in 2 h = 10 %/h, 40 % left: 4 h.
    expect(r.burnPercentPerHour).toBe(10)
    expect(r.dryAt).toBe(NOW + 4 * H)
    expect(r.fiveHourResetAt).toBe(reset)
    expect(r.basis).toContain('10 %/h of the 5 h window over the last 3 h, 40 % left')
  })

  it('a window that resets before it runs out has no dry time; across a reset only the new use counts', () => {
    const reset = NOW + 1 * H
    const r = accountRunway(view(60, reset), [reading(2, 40, reset)], NOW)
    expect(r.dryAt).toBeUndefined()
    expect(r.basis).toContain('resets before it runs out')
    const after = accountRunway(view(10, NOW + 5 * H), [reading(2, 90, NOW - H)], NOW)
    expect(after.burnPercentPerHour).toBe(5)
  })

  it('says why there is no estimate', () => {
    expect(accountRunway({ confidence: 'unknown' }, [], NOW).basis).toBe('no limit readings yet')
    expect(accountRunway(view(10, NOW + H), [], NOW).basis).toContain('too few')
  })

  it('the pool runs dry when what the servable accounts have left is burnt at the pool pace', () => {
    const p = poolRunway(
      [
        { servable: true, runway: { remainingPercent: 30, burnPercentPerHour: 10, basis: '' } },
        { servable: true, runway: { remainingPercent: 50, burnPercentPerHour: 10, basis: '' } },
        { servable: false, until: NOW + 3 * H, runway: { remainingPercent: 0, burnPercentPerHour: 20, basis: '' } },
      ],
      NOW,
    )
    // 80 % left over 40 %/h: 2 h.
    expect(p).toMatchObject({ servable: 2, dryAt: NOW + 2 * H, nextResetAt: NOW + 3 * H })
    expect(p.basis).toContain('40 %/h')
    expect(poolRunway([{ servable: false, until: NOW + H, runway: { basis: '' } }], NOW)).toMatchObject({
      servable: 0,
      dryAt: NOW,
      nextResetAt: NOW + H,
    })
  })
})
