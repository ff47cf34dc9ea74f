/**
 * One read of the ChatGPT usage endpoint (docs/architecture.md#rate-limits):
 * GET {chatgpt}/codex/usage. Reading it does not start a usage window, so it
 * is safe to call for an idle account. Windows are classified by length, the
 * same way as the x-codex-* headers.
 */
import { fetchWithDeadline } from '../../upstream/deadline.js'
import * as z from 'zod'
import type { Clock, FetchFn } from '../deps.js'
import { epochToMs, placeWindow, type ParsedLimits, type ParsedWindow } from './headers.js'

export const USAGE_TIMEOUT_MS = 15_000

// Loose and nullable throughout: the backend adds fields and sends null for absent ones.
const num = z.number().finite().nullish()
const windowSchema = z
  .looseObject({ used_percent: num, limit_window_seconds: num, reset_after_seconds: num, reset_at: num })
  .nullish()
const usageSchema = z.looseObject({
  plan_type: z.string().nullish(),
  rate_limit: z
    .looseObject({
      allowed: z.boolean().nullish(),
      limit_reached: z.boolean().nullish(),
      primary_window: windowSchema,
      secondary_window: windowSchema,
    })
    .nullish(),
  credits: z
    .looseObject({
      has_credits: z.boolean().nullish(),
      unlimited: z.boolean().nullish(),
      balance: z.union([z.string(), z.number()]).nullish(),
    })
    .nullish(),
})
type UsageWindow = z.infer<typeof windowSchema>

/** Why a read failed; `status` is set when the endpoint answered. The message never holds a token. */
export class UsageReadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'UsageReadError'
  }
}

export interface UsageRead {
  limits: ParsedLimits
  planType?: string
}

export interface UsageRequest {
  baseUrl: string
  accessToken: string
  accountId: string
  fetch: FetchFn
  clock: Clock
  timeoutMs?: number
  /** Aborts the request (the daemon is stopping). */
  signal?: AbortSignal
}

function toWindow(w: UsageWindow, now: number): ParsedWindow | undefined {
  if (!w) return undefined
  const out: ParsedWindow = {}
  if (typeof w.limit_window_seconds === 'number' && w.limit_window_seconds > 0)
    out.windowMinutes = w.limit_window_seconds / 60
  if (typeof w.used_percent === 'number') out.usedPercent = Math.max(0, Math.min(100, w.used_percent))
  if (typeof w.reset_at === 'number') out.resetAt = epochToMs(w.reset_at)
  else if (typeof w.reset_after_seconds === 'number') out.resetAt = now + w.reset_after_seconds * 1000
  return Object.keys(out).length ? out : undefined
}

/** The payload as ParsedLimits; throws UsageReadError when it is not a usage payload. */
export function parseUsage(body: unknown, now: number): UsageRead {
  const parsed = usageSchema.safeParse(body)
  if (!parsed.success) throw new UsageReadError('the usage endpoint sent an unusable answer')
  const { rate_limit: rl, credits, plan_type } = parsed.data
  const limits: ParsedLimits = {}
  const primary = toWindow(rl?.primary_window, now)
  const secondary = toWindow(rl?.secondary_window, now)
  if (primary) placeWindow(limits, primary, 'fiveHour')
  if (secondary) placeWindow(limits, secondary, 'weekly')
  if (credits) {
    const c: NonNullable<ParsedLimits['credits']> = {}
    if (typeof credits.has_credits === 'boolean') c.hasCredits = credits.has_credits
    if (typeof credits.unlimited === 'boolean') c.unlimited = credits.unlimited
    if (credits.balance !== undefined && credits.balance !== null) c.balance = String(credits.balance)
    if (Object.keys(c).length) limits.credits = c
  }
  if (!limits.fiveHour && !limits.weekly && !limits.credits)
    throw new UsageReadError('the usage endpoint reported no limits')
  return plan_type ? { limits, planType: plan_type } : { limits }
}

/** GET /codex/usage with a hard deadline on the injected clock. */
export async function readUsage(req: UsageRequest): Promise<UsageRead> {
  const timeoutMs = req.timeoutMs ?? USAGE_TIMEOUT_MS
  const timedOut = (): UsageReadError => new UsageReadError(`no answer from the usage endpoint in ${timeoutMs} ms`)
  try {
    const { status, body } = await fetchWithDeadline(
      req.fetch,
      `${req.baseUrl.replace(/\/+$/, '')}/codex/usage`,
      {
        method: 'GET',
        headers: {
          authorization: `Bearer ${req.accessToken}`,
          'chatgpt-account-id': req.accountId,
          originator: 'codex_cli_rs',
          accept: 'application/json',
        },
        // Never re-send a token to wherever a redirect points.
        redirect: 'manual',
      },
      async (res): Promise<{ status: number; body: unknown }> => {
        const text = await res.text()
        if (res.status !== 200) return { status: res.status, body: undefined }
        try {
          return { status: 200, body: JSON.parse(text) as unknown }
        } catch {
          throw new UsageReadError('the usage endpoint sent an unusable answer')
        }
      },
      // A probe must never be what keeps the daemon's process alive; a daemon stop aborts req.signal.
      { ms: timeoutMs, timers: req.clock, signal: req.signal, timeoutError: timedOut, unref: true },
    )
    // The body of an error answer is not echoed: it is not ours to vouch for.
    if (status !== 200) throw new UsageReadError(`the usage endpoint answered HTTP ${status}`, status)
    return parseUsage(body, req.clock.now())
  } catch (err) {
    if (err instanceof UsageReadError) throw err
    if (req.signal?.aborted) throw new UsageReadError('the probe was stopped')
    const code = (err as { cause?: { code?: unknown } }).cause?.code
    throw new UsageReadError(`could not reach the usage endpoint${typeof code === 'string' ? ` (${code})` : ''}`)
  }
}
