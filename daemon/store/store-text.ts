import * as z from 'zod'
import { describeIssues, encode } from './codec.js'
import type { FileBytes } from './fs.js'
import { accountSchema, storeSchema, type Account, type StoreData } from './schema.js'

/**
 * The store's own fields; each account is checked on its own (and once) by StoreText. The map
 * is only checked to be one (what z.record checks beyond its values, as every key is a string),
 * without walking its thousand keys again.
 */
const topLevelSchema = storeSchema.extend({
  accounts: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v)),
})

/** Accounts sit two levels deep in the file: their pretty JSON, indented to that depth. */
const ACCOUNT_INDENT = '\n    '

export type Prepared = { ok: true; bytes: FileBytes } | { ok: false; invalid: string }

/**
 * Validation and pretty JSON of the store, by account, remembered per account object: a write
 * at 1000 accounts checks and serializes only the accounts that changed. An account object
 * counts as unchanged until forget() is called for it, so everything that changes one in place
 * (AccountStore.touch and its replays) must call it first; update() never changes an object
 * in place (it works on copies, draft.ts). The bytes are exactly `JSON.stringify(data, null, 2)`
 * and a newline, the old plugin's format.
 */
export class StoreText {
  /** An account object already valid: its alias then, and its entry `\n    "alias": {…},`. */
  private readonly known = new WeakMap<Account, { alias: string; entry: Buffer }>()
  /** Account objects the whole-store schema accepted as loaded, not yet serialized. */
  private readonly loaded = new WeakSet<Account>()

  forget(account: Account): void {
    this.known.delete(account)
    this.loaded.delete(account)
  }

  /** The file bytes of a state already written (the previous file, for `.bak`), valid or not. */
  bytesOf(data: StoreData): FileBytes {
    const prepared = this.prepare(data)
    return prepared.ok ? prepared.bytes : [Buffer.from(encode(data), 'utf8')]
  }

  /**
   * Takes the accounts of a state the whole-store schema has just accepted (the store loaded
   * at open) as valid, so the first write does not check them all again: it is often a
   * refresh, whose new pair exists nowhere else until it is on disk. Cheap, so open is not
   * slowed; their texts are made by that first write.
   */
  prime(data: StoreData): void {
    for (const account of Object.values(data.accounts)) this.loaded.add(account)
  }

  /** Validates `data` and returns its file bytes (with the trailing newline). */
  prepare(data: StoreData): Prepared {
    const top = topLevelSchema.safeParse(data)
    const issues = top.success ? [] : describeIssues(top.error)
    const entries = this.entries(data, issues)
    if (issues.length) return { ok: false, invalid: issues.slice(0, 5).join('; ') }
    const last = entries.pop()
    // The last entry without its comma: a view, not a copy.
    if (last) entries.push(last.subarray(0, last.length - 1))
    const [before, after] = aroundAccounts(data, last ? '\n  }' : '}')
    return { ok: true, bytes: [Buffer.from(`${before}{`, 'utf8'), ...entries, Buffer.from(after, 'utf8')] }
  }

  /** Each account's entry, kept or made now (validating what is neither kept nor loaded, into `issues`). */
  private entries(data: StoreData, issues: string[]): Buffer[] {
    // Not an object: the top-level check has said so.
    const accounts = (isObject(data.accounts) ? data.accounts : {}) as Record<string, unknown>
    const entries: Buffer[] = []
    for (const alias of Object.keys(accounts)) {
      const account = accounts[alias]
      const known = isObject(account) ? this.known.get(account as Account) : undefined
      if (known?.alias === alias) {
        entries.push(known.entry)
        continue
      }
      if (!this.loaded.has(account as Account)) {
        const checked = accountSchema.safeParse(account)
        if (!checked.success) {
          issues.push(...describeIssues(checked.error, ['accounts', alias]))
          continue
        }
      }
      const text = JSON.stringify(account, null, 2).replaceAll('\n', ACCOUNT_INDENT)
      const entry = ownBuffer(`${ACCOUNT_INDENT}${JSON.stringify(alias)}: ${text},`)
      this.known.set(account as Account, { alias, entry })
      entries.push(entry)
    }
    return entries
  }
}

/**
 * The top level as JSON.stringify(data, null, 2) lays it out, in two halves: up to the
 * accounts map's opening brace, and from its closing brace (`close`) to the final newline.
 * Only called for a valid store, so `accounts` is there.
 */
function aroundAccounts(data: StoreData, close: string): [string, string] {
  const before: string[] = []
  const after: string[] = []
  let seen = false
  for (const key of Object.keys(data)) {
    if (key === 'accounts') {
      seen = true
      continue
    }
    const text = jsonOf((data as Record<string, unknown>)[key])?.replaceAll('\n', '\n  ')
    // JSON leaves out what has no JSON form (undefined): so do we.
    if (text !== undefined) (seen ? after : before).push(`${JSON.stringify(key)}: ${text}`)
  }
  const head = `{\n  ${[...before, '"accounts": '].join(',\n  ')}`
  return [head, `${close}${after.map((f) => `,\n  ${f}`).join('')}\n}\n`]
}

/**
 * A buffer of its own: Buffer.from() slices small strings out of shared 8 KB slabs, and one
 * kept entry would keep its whole slab alive long after the others on it were replaced.
 */
function ownBuffer(text: string): Buffer {
  const buffer = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'))
  buffer.write(text, 'utf8')
  return buffer
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

/** JSON.stringify's answer as it really is: undefined for a value with no JSON form. */
function jsonOf(value: unknown): string | undefined {
  return JSON.stringify(value, null, 2)
}
