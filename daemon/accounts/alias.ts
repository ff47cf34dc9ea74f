/** Aliases built as the old plugin did: the email's local part, then -1, -2… on collision. */
export function buildAlias(email: string | undefined, taken: (alias: string) => boolean): string {
  const local = (email ?? '').split('@')[0] ?? ''
  const base =
    local
      .replace(/[^A-Za-z0-9._+-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 56) || 'account'
  if (!taken(base)) return base
  for (let i = 1; ; i++) {
    const candidate = `${base}-${i}`
    if (!taken(candidate)) return candidate
  }
}
