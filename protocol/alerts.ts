import * as z from 'zod'
import {
  accountNeedsLoginEvent,
  limitsResetEvent,
  limitsThresholdEvent,
  poolExhaustedEvent,
  type EventTopic,
} from './events.js'

/**
 * Alert events: the daemon raises each once per crossing (an account going under a
 * threshold, a limit lifting, a sign-in lost, the pool running out), never once per
 * request. Their wording lives here so `watch` and the daemon's own notifications agree.
 */
export const ALERT_TOPICS = [
  'limits.threshold',
  'limits.reset',
  'account.needsLogin',
  'pool.exhausted',
] as const satisfies readonly EventTopic[]
export type AlertTopic = (typeof ALERT_TOPICS)[number]

export const alertEventSchema = z.discriminatedUnion('type', [
  limitsThresholdEvent,
  limitsResetEvent,
  accountNeedsLoginEvent,
  poolExhaustedEvent,
])
export type AlertEvent = z.infer<typeof alertEventSchema>

const WINDOW_NAME = { fiveHour: '5 h window', weekly: 'weekly window' } as const

function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16) + ' UTC'
}

/** A one-line title and text for people (a notification's title and body, a `watch` line). */
export function describeAlert(e: AlertEvent): { title: string; text: string } {
  switch (e.type) {
    case 'limits.threshold':
      return {
        title: `${e.alias}: ${e.level === 'critical' ? 'critically low' : 'running low'}`,
        text: `${e.alias} has ${Math.round(e.remainingPercent)} % left${e.window ? ` of its ${WINDOW_NAME[e.window]}` : ''} (${e.level} threshold ${e.threshold} %)`,
      }
    case 'limits.reset':
      return { title: `${e.alias}: available again`, text: `${e.alias}'s usage limit has reset; it can serve again` }
    case 'account.needsLogin':
      return {
        title: `${e.alias}: sign in again`,
        text: `${e.alias} needs a new sign-in (opencode-multi-auth login ${e.alias})${e.reason ? `: ${e.reason}` : ''}`,
      }
    case 'pool.exhausted':
      return {
        title: 'No account can serve',
        text: `all ${e.accounts} account(s) are limited or unusable${e.nextResetAt ? `; the next one frees up at ${clockTime(e.nextResetAt)}` : ''}`,
      }
  }
}

/** The desktop notifier for a platform (`process.platform`), or undefined where there is none we know. */
export function notifierCommand(
  platform: string,
  title: string,
  text: string,
): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') {
    // AppleScript string literals: backslash and double quote escaped; passed as one argv entry, no shell.
    const q = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`
    return { command: 'osascript', args: ['-e', `display notification ${q(text)} with title ${q(title)}`] }
  }
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
    // `--` so a text starting with a dash is never read as an option.
    return { command: 'notify-send', args: ['--app-name=opencode-multi-auth', '--', title, text] }
  }
  return undefined
}

/** What a desktop notifier needs from the environment, and nothing else (never the passphrase). */
const NOTIFIER_VARS = [
  'PATH',
  'HOME',
  'LANG',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'DBUS_SESSION_BUS_ADDRESS',
  'XDG_RUNTIME_DIR',
]

export function notifierEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of NOTIFIER_VARS) {
    const v = env[k]
    if (v !== undefined) out[k] = v
  }
  return out
}
