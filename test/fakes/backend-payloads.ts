/**
 * What the fake ChatGPT backend says, separated from how it says it: the five-event SSE
 * stream both real clients accept (three events are not enough for them), the
 * x-codex-* rate-limit headers, and the /codex/usage payload.
 */
import { randomBytes } from 'node:crypto'

export const PRIMARY_WINDOW_MINUTES = 300
export const SECONDARY_WINDOW_MINUTES = 10_080

/** One account's usage as the backend reports it. Reset times are epoch seconds. */
export interface UsageState {
  planType: string
  primaryUsedPercent: number
  primaryResetAt: number
  secondaryUsedPercent: number
  secondaryResetAt: number
  hasCredits: boolean
  unlimited: boolean
  balance: string
}

export function defaultUsage(nowS: number, planType = 'plus'): UsageState {
  return {
    planType,
    primaryUsedPercent: 10,
    primaryResetAt: nowS + PRIMARY_WINDOW_MINUTES * 60,
    secondaryUsedPercent: 20,
    secondaryResetAt: nowS + SECONDARY_WINDOW_MINUTES * 60,
    hasCredits: false,
    unlimited: false,
    balance: '0',
  }
}

export function rateLimitHeaders(u: UsageState): Record<string, string> {
  return {
    'x-codex-primary-used-percent': String(u.primaryUsedPercent),
    'x-codex-primary-window-minutes': String(PRIMARY_WINDOW_MINUTES),
    'x-codex-primary-reset-at': String(u.primaryResetAt),
    'x-codex-secondary-used-percent': String(u.secondaryUsedPercent),
    'x-codex-secondary-window-minutes': String(SECONDARY_WINDOW_MINUTES),
    'x-codex-secondary-reset-at': String(u.secondaryResetAt),
    'x-codex-credits-has-credits': String(u.hasCredits),
    'x-codex-credits-unlimited': String(u.unlimited),
    'x-codex-credits-balance': u.balance,
  }
}

export function usagePayload(u: UsageState, nowS: number): Record<string, unknown> {
  const window = (used: number, minutes: number, resetAt: number) => ({
    used_percent: used,
    limit_window_seconds: minutes * 60,
    reset_after_seconds: Math.max(0, resetAt - nowS),
    reset_at: resetAt,
  })
  const reached = u.primaryUsedPercent >= 100 || u.secondaryUsedPercent >= 100
  return {
    plan_type: u.planType,
    rate_limit: {
      allowed: !reached,
      limit_reached: reached,
      primary_window: window(u.primaryUsedPercent, PRIMARY_WINDOW_MINUTES, u.primaryResetAt),
      secondary_window: window(u.secondaryUsedPercent, SECONDARY_WINDOW_MINUTES, u.secondaryResetAt),
    },
    credits: { has_credits: u.hasCredits, unlimited: u.unlimited, balance: u.balance },
  }
}

export interface SseEvent {
  type: string
  data: Record<string, unknown>
}

/** response.created → output_item.added → output_text.delta → output_item.done → response.completed. */
export function responseEvents(text: string, model: string, nowS: number): SseEvent[] {
  const responseId = `resp_${randomBytes(8).toString('hex')}`
  const itemId = `msg_${randomBytes(8).toString('hex')}`
  const base = { id: responseId, object: 'response', created_at: nowS, model }
  const doneItem = {
    id: itemId,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  }
  const outputTokens = Math.max(1, Math.ceil(text.length / 4))
  const usage = {
    input_tokens: 12,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 12 + outputTokens,
  }
  const events: SseEvent[] = [
    { type: 'response.created', data: { response: { ...base, status: 'in_progress', output: [] } } },
    {
      type: 'response.output_item.added',
      data: {
        output_index: 0,
        item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
      },
    },
    { type: 'response.output_text.delta', data: { item_id: itemId, output_index: 0, content_index: 0, delta: text } },
    { type: 'response.output_item.done', data: { output_index: 0, item: doneItem } },
    { type: 'response.completed', data: { response: { ...base, status: 'completed', output: [doneItem], usage } } },
  ]
  return events.map((e, i) => ({ type: e.type, data: { type: e.type, sequence_number: i, ...e.data } }))
}

export function sseFrame(e: SseEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`
}
