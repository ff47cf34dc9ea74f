import { dirname } from 'node:path'
import * as paths from '../../../protocol/paths.js'
import { fail, ok, octal, readOr, statOr, warn, type Check } from './check.js'

/** Directories we write: they should exist (or be creatable) and be private. */
export async function pathChecks(p: paths.PathEnv, socketPath: string): Promise<Check[]> {
  const dirs: [string, string][] = [
    ['store dir', paths.storeDir(p)],
    ['state dir', dirname(paths.logFile(p))],
    ['socket dir', dirname(socketPath)],
  ]
  const uid = process.getuid?.()
  const out: Check[] = []
  for (const [name, dir] of dirs) {
    const st = await statOr(dir)
    if (!st) out.push(warn(name, `${dir} does not exist yet`, 'it is created (0700) when the daemon first starts'))
    else if (!st.isDirectory())
      out.push(fail(name, `${dir} is not a directory`, `move it away: the daemon needs ${dir} as a folder`))
    else if (uid !== undefined && st.uid !== uid)
      out.push(fail(name, `${dir} belongs to uid ${st.uid}, not you`, `chown it, or point the path elsewhere`))
    else if (st.mode & 0o077) out.push(warn(name, `${dir} is ${octal(st.mode)}`, `chmod 700 ${dir}`))
    else out.push(ok(name, `${dir} (${octal(st.mode)})`))
  }
  return out
}

export interface StoreFacts {
  exists: boolean
  encrypted?: boolean
  /** Plaintext stores only: the access tokens, for the clock check. */
  accessTokens: string[]
}

export async function storeCheck(p: paths.PathEnv): Promise<{ check: Check; facts: StoreFacts }> {
  const file = paths.storeFile(p)
  const st = await statOr(file)
  if (!st)
    return {
      check: warn('store', `${file} does not exist`, 'add an account: `opencode-multi-auth login`'),
      facts: { exists: false, accessTokens: [] },
    }
  const text = await readOr(file)
  if (text === undefined)
    return {
      check: fail('store', `${file} cannot be read`, `check its owner and mode (chmod 600 ${file})`),
      facts: { exists: true, accessTokens: [] },
    }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return {
      check: fail(
        'store',
        `${file} is not JSON`,
        'the daemon recovers from its .lkg/.bak copy at start: `opencode-multi-auth daemon restart`',
      ),
      facts: { exists: true, accessTokens: [] },
    }
  }
  const obj = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>
  const encrypted = obj.encrypted === true
  const accounts = obj.accounts && typeof obj.accounts === 'object' ? Object.values(obj.accounts) : []
  const accessTokens = accounts
    .map((a) => (a && typeof a === 'object' ? (a as Record<string, unknown>).accessToken : undefined))
    .filter((t): t is string => typeof t === 'string')
  const mode = st.mode & 0o077 ? ` — mode ${octal(st.mode)} is readable by others` : ''
  const check = mode
    ? fail('store', `${file}${mode}`, `chmod 600 ${file}`)
    : ok(
        'store',
        `${file} (${encrypted ? 'encrypted' : 'plaintext, 0600'}${encrypted ? '' : `, ${accounts.length} account(s)`})`,
      )
  return { check, facts: { exists: true, encrypted, accessTokens } }
}
