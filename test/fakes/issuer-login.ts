/**
 * Sign-in state of the fake issuer: authorization codes bound to their PKCE challenge,
 * redirect_uri and client_id (so a daemon that mixes them up fails here as it would
 * against the real issuer), and device-code sessions waiting for approval.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Identity } from './jwt.js'

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

interface AuthCode {
  identity: Identity
  clientId: string
  redirectUri: string
  challenge: string
  used: boolean
}

export interface CodeRedemption {
  code?: string
  redirectUri?: string
  clientId?: string
  verifier?: string
}

export type Redeemed = { ok: true; identity: Identity } | { ok: false; description: string }

interface DeviceSession {
  deviceAuthId: string
  userCode: string
  clientId: string
  approved?: { authorizationCode: string; codeVerifier: string; codeChallenge: string }
}

export class LoginState {
  private codes = new Map<string, AuthCode>()
  private devices = new Map<string, DeviceSession>()

  issueCode(identity: Identity, clientId: string, redirectUri: string, challenge: string): string {
    const code = `ac_${randomBytes(18).toString('base64url')}`
    this.codes.set(code, { identity: { ...identity }, clientId, redirectUri, challenge, used: false })
    return code
  }

  /** The authorization_code grant's checks, in the order a real server makes them. */
  redeem(r: CodeRedemption): Redeemed {
    const entry = r.code === undefined ? undefined : this.codes.get(r.code)
    if (!entry) return { ok: false, description: 'Invalid authorization code' }
    if (entry.used) return { ok: false, description: 'Authorization code already used' }
    if (r.clientId !== entry.clientId)
      return { ok: false, description: 'client_id does not match the authorization request' }
    if (r.redirectUri !== entry.redirectUri)
      return { ok: false, description: 'redirect_uri does not match the authorization request' }
    if (r.verifier === undefined || s256(r.verifier) !== entry.challenge) {
      return { ok: false, description: 'PKCE verification failed: code_verifier does not match code_challenge' }
    }
    entry.used = true
    return { ok: true, identity: { ...entry.identity } }
  }

  startDevice(clientId: string): DeviceSession {
    const letters = randomBytes(4).toString('hex').toUpperCase()
    const session: DeviceSession = {
      deviceAuthId: `deviceauth_${randomBytes(12).toString('base64url')}`,
      userCode: `${letters.slice(0, 4)}-${letters.slice(4, 8)}`,
      clientId,
    }
    this.devices.set(session.deviceAuthId, session)
    return session
  }

  /**
   * What the user does in the browser at {issuer}/codex/device: the issuer then mints a
   * code bound to its own PKCE pair and the device callback redirect.
   */
  approveDevice(userCode: string, identity: Identity, redirectUri: string): void {
    const session = [...this.devices.values()].find((d) => d.userCode === userCode)
    if (!session) throw new Error(`fake issuer: no device session with user code ${userCode}`)
    const codeVerifier = randomBytes(32).toString('base64url')
    const codeChallenge = s256(codeVerifier)
    const authorizationCode = this.issueCode(identity, session.clientId, redirectUri, codeChallenge)
    session.approved = { authorizationCode, codeVerifier, codeChallenge }
  }

  /** undefined: unknown session (or user code mismatch); 'pending'; or the approval. */
  pollDevice(
    deviceAuthId: string | undefined,
    userCode: string | undefined,
  ): DeviceSession['approved'] | 'pending' | undefined {
    const session = deviceAuthId === undefined ? undefined : this.devices.get(deviceAuthId)
    if (!session || session.userCode !== userCode) return undefined
    return session.approved ?? 'pending'
  }

  get pendingUserCodes(): string[] {
    return [...this.devices.values()].filter((d) => !d.approved).map((d) => d.userCode)
  }
}
