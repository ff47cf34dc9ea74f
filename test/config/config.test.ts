/**
 * What the daemon and the plugin refuse to start with: a passphrase file others can
 * read (as ssh refuses such a key), and a ChatGPT backend or OAuth issuer reached over
 * plain http off this machine (access and refresh tokens would cross the network in clear).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveConfig as pluginConfig } from '../../client/plugin/config.js'
import { ConfigError, resolveConfig } from '../../daemon/config.js'
import { chatgptBaseUrl, isSecureUrl } from '../../protocol/paths.js'

const root = mkdtempSync(join(tmpdir(), 'oma-config-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const home = join(root, 'home')

function passphraseFile(name: string, mode: number, text = 'correct horse\n'): string {
  const file = join(root, name)
  writeFileSync(file, text)
  chmodSync(file, mode)
  return file
}

describe('--passphrase-file', () => {
  it('reads a private file, without its final newline', () => {
    const file = passphraseFile('ok', 0o600)
    expect(resolveConfig({ env: {}, home, passphraseFile: file }).passphrase).toBe('correct horse')
    expect(resolveConfig({ env: {}, home, passphraseFile: passphraseFile('ro', 0o400) }).passphrase).toBe(
      'correct horse',
    )
  })

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a file with mode %o, saying how to fix it', (mode) => {
    const file = passphraseFile(`open-${mode.toString(8)}`, mode)
    const get = () => resolveConfig({ env: {}, home, passphraseFile: file })
    expect(get).toThrow(ConfigError)
    expect(get).toThrow(`mode 0${mode.toString(8)}`)
    expect(get).toThrow(`chmod 600 ${file}`)
    try {
      get()
    } catch (err) {
      expect((err as Error).message).not.toContain('correct horse')
    }
  })

  it('refuses an empty or missing file with a ConfigError', () => {
    expect(() => resolveConfig({ env: {}, home, passphraseFile: passphraseFile('empty', 0o600, '\n') })).toThrow(
      /is empty/,
    )
    expect(() => resolveConfig({ env: {}, home, passphraseFile: join(root, 'nope') })).toThrow(ConfigError)
  })
})

describe('OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL', () => {
  const base = (url: string) => chatgptBaseUrl({ env: { OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: url }, home })

  it('accepts https anywhere and plain http on loopback', () => {
    expect(chatgptBaseUrl({ env: {}, home })).toBe('https://chatgpt.com/backend-api')
    expect(base('https://proxy.example.com/backend-api/')).toBe('https://proxy.example.com/backend-api')
    expect(base('http://127.0.0.1:9/backend-api')).toBe('http://127.0.0.1:9/backend-api')
    expect(base('http://127.1.2.3:9/x')).toBe('http://127.1.2.3:9/x')
    expect(base('http://localhost:8080/x')).toBe('http://localhost:8080/x')
    expect(base('http://[::1]:8080/x')).toBe('http://[::1]:8080/x')
  })

  it('refuses plain http off loopback, and what is not a URL', () => {
    expect(() => base('http://chatgpt.example.com/backend-api')).toThrow(/must use https/)
    expect(() => base('http://10.0.0.5/backend-api')).toThrow(/must use https/)
    expect(() => base('http://localhost.example.com/x')).toThrow(/must use https/)
    expect(() => base('ftp://127.0.0.1/x')).toThrow(/must use https/)
    expect(() => base('chatgpt.com/backend-api')).toThrow(/not a URL/)
    expect(isSecureUrl(new URL('http://127.0.0.1.example.com/'))).toBe(false)
  })

  it('is refused by the daemon config and by the plugin config alike', () => {
    const env = { OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: 'http://chatgpt.example.com/backend-api' }
    expect(() => resolveConfig({ env, home })).toThrow(ConfigError)
    expect(() => pluginConfig({ ...env, HOME: home })).toThrow(/OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL must use https/)
    expect(pluginConfig({ HOME: home }).chatgptBase).toBe('https://chatgpt.com/backend-api')
  })

  it('holds the issuer override to the same rule', () => {
    expect(() => resolveConfig({ env: { OPENCODE_MULTI_AUTH_ISSUER: 'http://auth.example.com' }, home })).toThrow(
      /OPENCODE_MULTI_AUTH_ISSUER must use https/,
    )
    expect(resolveConfig({ env: { OPENCODE_MULTI_AUTH_ISSUER: 'http://127.0.0.1:9' }, home }).issuer).toBe(
      'http://127.0.0.1:9',
    )
  })
})
