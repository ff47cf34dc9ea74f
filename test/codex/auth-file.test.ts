import { describe, expect, it } from 'vitest'
import { buildAuthJson, incomingFrom, parseAuthText, serializeAuth } from '../../daemon/codex/auth-file.js'
import { alice, authJsonFor, pairFor } from './helpers.js'

describe('auth.json shape', () => {
  it('parses a Codex file and keeps keys it does not know', () => {
    const p = pairFor(alice)
    const parsed = parseAuthText(JSON.stringify({ ...authJsonFor(p), future: { x: 1 } }))
    expect(parsed.kind).toBe('tokens')
    if (parsed.kind !== 'tokens') return
    expect(parsed.json.future).toEqual({ x: 1 })
    expect(incomingFrom(parsed)).toMatchObject({
      accessToken: p.accessToken,
      refreshToken: p.refreshToken,
      idToken: p.idToken,
    })
  })

  it('tells half a file, an API-key file and a file without usable tokens apart', () => {
    const full = JSON.stringify(authJsonFor(pairFor(alice)), null, 2)
    expect(parseAuthText(full.slice(0, 40)).kind).toBe('invalid')
    expect(parseAuthText('').kind).toBe('invalid')
    expect(parseAuthText('[]').kind).toBe('invalid')
    expect(parseAuthText(JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-x', tokens: null })).kind).toBe(
      'no-tokens',
    )
    expect(parseAuthText(JSON.stringify({ auth_mode: 'chatgpt', tokens: { id_token: 'x' } })).kind).toBe('invalid')
  })

  it('ignores an id_token that is not a JWT rather than storing it', () => {
    const p = pairFor(alice)
    const parsed = parseAuthText(
      JSON.stringify({ ...authJsonFor(p), tokens: { ...authJsonFor(p).tokens, id_token: 'garbage' } }),
    )
    if (parsed.kind !== 'tokens') throw new Error('expected tokens')
    expect(incomingFrom(parsed).idToken).toBeUndefined()
  })

  it('builds the file Codex requires and refuses one without a JWT id_token', () => {
    const p = pairFor(alice)
    const json = buildAuthJson(
      { auth_mode: 'apikey', OPENAI_API_KEY: null, extra: true },
      { ...p, accountId: 'acc' },
      Date.UTC(2026, 0, 1),
      false,
    )
    expect(json).toMatchObject({
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      extra: true,
      last_refresh: '2026-01-01T00:00:00.000Z',
      tokens: { id_token: p.idToken, access_token: p.accessToken, refresh_token: p.refreshToken, account_id: 'acc' },
    })
    expect(serializeAuth(json).toString().endsWith('}')).toBe(true)
    expect(() => buildAuthJson(undefined, { ...p, idToken: 'not-a-jwt', accountId: 'acc' }, 0, false)).toThrow(
      /id_token/,
    )
  })
})
