/**
 * Older store layouts → v2, on plain JSON values (validation happens after).
 * Nothing here drops an account: an entry we cannot make sense of is carried
 * over as-is so that schema validation rejects the whole file and the
 * recovery path keeps the original bytes.
 */

export type Migration = '1' | 'legacy'

export interface Migrated {
  value: unknown
  /** Set when the value was rewritten from an older layout. */
  from?: Migration
  /** A version number newer than ours, which the caller must refuse. */
  newerVersion?: number
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function migrate(raw: unknown): Migrated {
  if (!isObj(raw)) return { value: raw }
  if (Array.isArray(raw.accounts)) return { value: fromLegacyArray(raw), from: 'legacy' }
  const version = raw.version
  if (version === undefined || version === 1) return { value: fromV1(raw), from: '1' }
  if (typeof version === 'number' && version > 2) return { value: raw, newerVersion: version }
  return { value: raw }
}

/** v1 differs from v2 only by the version tag; v2 also names each account's alias inside it. */
function fromV1(raw: Obj): Obj {
  const accounts = isObj(raw.accounts) ? withAliases(raw.accounts) : raw.accounts
  return { ...raw, version: 2, accounts }
}

// Built with fromEntries so an alias such as "__proto__" stays an own key.
function withAliases(accounts: Obj): Obj {
  return Object.fromEntries(
    Object.entries(accounts).map(([alias, acc]) => [
      alias,
      isObj(acc) && typeof acc.alias !== 'string' ? { ...acc, alias } : acc,
    ]),
  )
}

/**
 * The old auto_login.py wrote `{accounts: [...], activeIndex}`. Aliases come
 * from the account's own alias, else its email's local part; collisions get
 * -1, -2, … in file order so the mapping is deterministic.
 */
function fromLegacyArray(raw: Obj): Obj {
  const list = raw.accounts as unknown[]
  const accounts = new Map<string, unknown>()
  const aliases: string[] = []
  list.forEach((acc, i) => {
    const alias = uniqueAlias(baseAlias(acc, i), accounts)
    aliases.push(alias)
    accounts.set(alias, isObj(acc) ? { ...acc, alias } : acc)
  })
  const { activeIndex, accounts: _old, ...rest } = raw
  const activeAlias = typeof activeIndex === 'number' ? (aliases[activeIndex] ?? null) : null
  return { ...rest, version: 2, accounts: Object.fromEntries(accounts), activeAlias }
}

function baseAlias(acc: unknown, index: number): string {
  if (isObj(acc)) {
    if (typeof acc.alias === 'string' && acc.alias.trim()) return acc.alias.trim()
    if (typeof acc.email === 'string') {
      const local = acc.email.split('@')[0]?.trim()
      if (local) return local
    }
  }
  return `account-${index + 1}`
}

function uniqueAlias(base: string, taken: Map<string, unknown>): string {
  if (!taken.has(base)) return base
  for (let n = 1; ; n++) {
    const candidate = `${base}-${n}`
    if (!taken.has(candidate)) return candidate
  }
}
