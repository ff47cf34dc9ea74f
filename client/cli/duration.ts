/** Durations as people type them: 90s, 30m, 2h, 1d, 1h30m (units s, m, h, d; no bare numbers). */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase()
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(s)) return undefined
  let ms = 0
  for (const [, n, unit = ''] of s.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) ms += Number(n) * (UNIT_MS[unit] ?? NaN)
  return ms > 0 ? Math.round(ms) : undefined
}
