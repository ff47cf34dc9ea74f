import { describe, expect, it } from 'vitest'
import { parseLimitHeaders, retryAfterMs } from '../../daemon/limits/headers.js'

const NOW = Date.UTC(2026, 10, 28, 12)

describe('x-codex-* header parsing', () => {
  it('classifies windows by length, not by primary/secondary', () => {
    const parsed = parseLimitHeaders(
      {
        'x-codex-primary-used-percent': '12.5',
        'x-codex-primary-window-minutes': '10080',
        'x-codex-primary-reset-at': String(NOW / 1000 + 86_400),
        'x-codex-secondary-used-percent': '80',
        'x-codex-secondary-window-minutes': '300',
        'x-codex-secondary-reset-after-seconds': '600',
      },
      NOW,
    )
    expect(parsed).toEqual({
      weekly: { usedPercent: 12.5, windowMinutes: 10080, resetAt: NOW + 86_400_000 },
      fiveHour: { usedPercent: 80, windowMinutes: 300, resetAt: NOW + 600_000 },
    })
  })

  it('reads credits, ignores other headers, and says nothing when there is nothing', () => {
    expect(parseLimitHeaders({ 'X-Codex-Credits-Unlimited': 'false', 'X-Codex-Credits-Balance': '3' }, NOW)).toEqual({
      credits: { unlimited: false, balance: '3' },
    })
    expect(parseLimitHeaders({ 'content-type': 'text/event-stream' }, NOW)).toBeUndefined()
    expect(parseLimitHeaders(undefined, NOW)).toBeUndefined()
  })

  it('two windows of the same class keep the tighter one', () => {
    const parsed = parseLimitHeaders(
      {
        'x-codex-primary-used-percent': '20',
        'x-codex-primary-window-minutes': '60',
        'x-codex-secondary-used-percent': '90',
        'x-codex-secondary-window-minutes': '300',
      },
      NOW,
    )
    expect(parsed).toEqual({ fiveHour: { usedPercent: 90, windowMinutes: 300 } })
  })

  it('Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs({ 'Retry-After': '120' }, NOW)).toBe(NOW + 120_000)
    expect(retryAfterMs({ 'retry-after': new Date(NOW + 3_600_000).toUTCString() }, NOW)).toBe(NOW + 3_600_000)
    expect(retryAfterMs({ 'retry-after': 'soon' }, NOW)).toBeUndefined()
  })
})
