/**
 * The sign-in choices `opencode auth login` offers for OpenAI. Each ends with OpenCode
 * storing only a marker: the tokens live in the daemon's store and nowhere else (a
 * second copy of a refresh token goes stale and gets replayed, spending the family).
 * The sign-ins store an `oauth`-type marker (MARKER_KEY as access and refresh, a far
 * expiry, so OpenCode never tries to refresh it): with an `oauth` credential OpenCode
 * shapes its requests for the ChatGPT path, as its own sign-in does. Our loader still
 * wins, so the marker is never sent anywhere.
 */
import { MARKER_KEY } from './config.js'
import type { DaemonLink } from './daemon-link.js'
import type { ApiMethod, AuthCallbackResult, OAuthMethod } from './opencode-types.js'

/** How long OpenCode's callback waits for the person to finish signing in. */
const LOGIN_WAIT_MS = 15 * 60_000

type Link = Pick<DaemonLink, 'call'>

/** 2100-01-01: far enough that OpenCode never thinks the marker needs a refresh. */
export const MARKER_EXPIRES = Date.UTC(2100, 0, 1)

function success(): AuthCallbackResult {
  return { type: 'success', refresh: MARKER_KEY, access: MARKER_KEY, expires: MARKER_EXPIRES }
}

function signIn(link: Link, method: 'browser' | 'device', label: string): OAuthMethod {
  return {
    type: 'oauth',
    label,
    async authorize() {
      const login = await link.call('login.start', { method })
      const instructions =
        method === 'device' && login.userCode
          ? `Open the link and enter the code ${login.userCode}. The opencode-multi-auth daemon keeps the account.`
          : 'Finish signing in in your browser. The opencode-multi-auth daemon keeps the account; OpenCode stores only a marker.'
      return {
        url: login.url,
        instructions,
        method: 'auto',
        async callback() {
          try {
            await link.call(
              'login.wait',
              { loginId: login.loginId, timeoutMs: LOGIN_WAIT_MS },
              { timeoutMs: LOGIN_WAIT_MS + 30_000 },
            )
            return success()
          } catch {
            return { type: 'failed' }
          }
        },
      }
    },
  }
}

/** Accounts were added with the CLI (or adopted from Codex): just point OpenCode at the daemon. */
function useExisting(link: Link): ApiMethod {
  return {
    type: 'api',
    label: 'Use the accounts already in opencode-multi-auth',
    async authorize() {
      try {
        const { accounts } = await link.call('accounts.list', {})
        return accounts.length > 0 ? { type: 'success', key: MARKER_KEY } : { type: 'failed' }
      } catch {
        return { type: 'failed' }
      }
    },
  }
}

export function authMethods(link: Link): (OAuthMethod | ApiMethod)[] {
  return [
    signIn(link, 'browser', 'Sign in with ChatGPT (opencode-multi-auth)'),
    signIn(link, 'device', 'Sign in with ChatGPT, device code (opencode-multi-auth, headless)'),
    useExisting(link),
  ]
}
