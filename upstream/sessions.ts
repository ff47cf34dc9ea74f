/**
 * Which account last served each conversation (keyed by prompt_cache_key), so the plugin
 * knows when a conversation moves to another account. Encrypted reasoning is bound to the
 * account that made it; after a move, the items the conversation had so far came from the
 * old account and stay stripped on later turns too (OpenCode resends the whole history),
 * while what the new account adds is kept. Bounded: the oldest conversations are forgotten.
 */
interface Entry {
  alias: string
  /** Input items before this index were made under another account. */
  stripBefore: number
}

export class SessionAccounts {
  private readonly map = new Map<string, Entry>()

  constructor(private readonly max = 2000) {}

  /** How many leading input items to strip when `alias` serves this turn of the conversation. */
  stripBefore(sessionKey: string | undefined, alias: string, inputLength: number): number {
    if (!sessionKey) return 0
    const last = this.map.get(sessionKey)
    if (!last) return 0
    if (last.alias !== alias) return inputLength
    return Math.min(last.stripBefore, inputLength)
  }

  /** Records a successful turn: `alias` served it with `stripBefore` items stripped. */
  served(sessionKey: string | undefined, alias: string, stripBefore: number): void {
    if (!sessionKey) return
    this.map.delete(sessionKey)
    this.map.set(sessionKey, { alias, stripBefore })
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value
      if (oldest !== undefined) this.map.delete(oldest)
    }
  }
}
