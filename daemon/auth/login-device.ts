/**
 * Device-code sign-in, for machines without a browser (docs/architecture.md#oauth):
 * ask for a user code, show it with {issuer}/codex/device, poll at the given
 * interval until the issuer hands back an authorization code and its PKCE
 * verifier, then exchange them like a browser sign-in's code.
 */
import { fetchWithDeadline } from '../../upstream/deadline.js'
import * as z from 'zod'
import type { Clock, FetchFn, Logger, Timer } from '../deps.js'
import type { CodeExchange } from './oauth-client.js'

export const DEVICE_TIMEOUT_MS = 15 * 60_000
const REQUEST_TIMEOUT_MS = 20_000
const MIN_INTERVAL_MS = 250
const MAX_INTERVAL_MS = 60_000

const seconds = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
  z.number().finite().nonnegative(),
)

const userCodeAnswer = z.looseObject({
  device_auth_id: z.string().min(1),
  user_code: z.string().min(1).optional(),
  usercode: z.string().min(1).optional(),
  interval: seconds.optional().catch(undefined),
})

const tokenAnswer = z.looseObject({
  authorization_code: z.string().min(1),
  code_verifier: z.string().min(1),
})

export class DeviceLoginError extends Error {}

export interface DeviceLoginOptions {
  issuer: string
  clientId: string
  fetch: FetchFn
  clock: Clock
  logger: Logger
}

export interface DeviceLogin {
  userCode: string
  verificationUrl: string
  intervalMs: number
  /** Polls until approved (→ the code exchange to make), the deadline passes or cancel() is called. */
  poll(deadline: number): Promise<CodeExchange>
  cancel(): void
}

export async function startDeviceLogin(opts: DeviceLoginOptions): Promise<DeviceLogin> {
  const first = await post(opts, '/api/accounts/deviceauth/usercode', { client_id: opts.clientId })
  if (first.status !== 200) throw new DeviceLoginError(`the issuer refused a device code (HTTP ${first.status})`)
  const parsed = userCodeAnswer.safeParse(first.json)
  const userCode = parsed.success ? (parsed.data.user_code ?? parsed.data.usercode) : undefined
  if (!parsed.success || !userCode)
    throw new DeviceLoginError('the issuer answered the device-code request without a user code')
  const deviceAuthId = parsed.data.device_auth_id
  const intervalMs = clamp((parsed.data.interval ?? 5) * 1000, MIN_INTERVAL_MS, MAX_INTERVAL_MS)
  let cancelled = false
  let wake: (() => void) | undefined
  let timer: Timer | undefined
  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve
      timer = opts.clock.setTimeout(resolve, ms)
    })

  return {
    userCode,
    verificationUrl: `${opts.issuer}/codex/device`,
    intervalMs,
    cancel() {
      cancelled = true
      if (timer) opts.clock.clearTimeout(timer)
      wake?.()
    },
    async poll(deadline: number): Promise<CodeExchange> {
      let wait = intervalMs
      for (;;) {
        await nap(Math.min(wait, Math.max(0, deadline - opts.clock.now())))
        if (cancelled) throw new DeviceLoginError('cancelled')
        if (opts.clock.now() >= deadline) throw new DeviceLoginError('the device code expired before it was approved')
        let answer: { status: number; json: unknown }
        try {
          answer = await post(opts, '/api/accounts/deviceauth/token', {
            device_auth_id: deviceAuthId,
            user_code: userCode,
          })
        } catch (err) {
          opts.logger.debug('device sign-in poll failed; polling on', {
            error: err instanceof Error ? err.message : String(err),
          })
          continue
        }
        if (cancelled) throw new DeviceLoginError('cancelled')
        if (answer.status === 403 || answer.status === 404) continue // not approved yet
        if (answer.status === 429) {
          wait = Math.min(wait + 5000, MAX_INTERVAL_MS)
          continue
        }
        if (answer.status >= 500) continue
        if (answer.status !== 200)
          throw new DeviceLoginError(`the issuer refused the device sign-in (HTTP ${answer.status})`)
        const ok = tokenAnswer.safeParse(answer.json)
        if (!ok.success) throw new DeviceLoginError('the issuer approved the device sign-in without a code')
        return {
          code: ok.data.authorization_code,
          codeVerifier: ok.data.code_verifier,
          redirectUri: `${opts.issuer}/deviceauth/callback`,
        }
      }
    },
  }
}

async function post(
  opts: DeviceLoginOptions,
  path: string,
  body: Record<string, string>,
): Promise<{ status: number; json: unknown }> {
  return fetchWithDeadline(
    opts.fetch,
    `${opts.issuer}${path}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', originator: 'codex_cli_rs' },
      body: JSON.stringify(body),
      redirect: 'manual',
    },
    async (res) => {
      const text = await res.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, json }
    },
    { ms: REQUEST_TIMEOUT_MS, timers: opts.clock },
  )
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : lo))
}
