/**
 * How the gateway tells the Codex CLI that no account can serve: in the backend's own
 * words, so Codex shows its usual message. Codex reads a 429 `usage_limit_reached` with
 * `resets_at` (epoch seconds) as "You've hit your usage limit … try again at <time>" and
 * ends the turn without retrying — a clear error with the earliest reset, never a hang.
 */
import type { LimitedAnswer } from '../../upstream/outcome.js'

export const codexLimited: LimitedAnswer = ({ resetAt, accounts, now }) => {
  const when = resetAt && resetAt > now ? resetAt : undefined
  const what = accounts === 1 ? 'your ChatGPT account has' : `all ${accounts} ChatGPT accounts have`
  const error: Record<string, unknown> = {
    type: 'usage_limit_reached',
    code: 'all_accounts_limited',
    message:
      `opencode-multi-auth: ${what} reached the usage limit` +
      (when ? `; the first one resets at ${new Date(when).toISOString()}.` : '.') +
      ' See `opencode-multi-auth status`.',
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-opencode-multi-auth': 'gateway' }
  if (when) {
    error.resets_at = Math.ceil(when / 1000)
    error.resets_in_seconds = Math.max(0, Math.ceil((when - now) / 1000))
    headers['retry-after'] = String(error.resets_in_seconds)
  }
  return new Response(JSON.stringify({ error }), { status: 429, headers })
}

/** The usage endpoint's answer when no account can serve now: limit reached, with the earliest reset. */
export function exhaustedUsage(resetAt: number | undefined, now: number): Record<string, unknown> {
  const resetS = resetAt && resetAt > now ? Math.ceil(resetAt / 1000) : undefined
  const window = {
    used_percent: 100,
    limit_window_seconds: 5 * 3600,
    reset_after_seconds: resetS ? Math.max(0, resetS - Math.floor(now / 1000)) : 0,
    reset_at: resetS ?? Math.floor(now / 1000),
  }
  return {
    plan_type: 'unknown',
    rate_limit: { allowed: false, limit_reached: true, primary_window: window, secondary_window: null },
    credits: { has_credits: false, unlimited: false, balance: '0' },
  }
}
