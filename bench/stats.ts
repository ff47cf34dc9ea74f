/** Latency statistics and table printing shared by the bench scripts. */
export interface Stats {
  p50: number
  p99: number
  perSec: number
  n: number
}

export function stats(latenciesMs: number[], wallMs: number): Stats {
  const s = [...latenciesMs].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
  return { p50: at(0.5), p99: at(0.99), perSec: (s.length / wallMs) * 1000, n: s.length }
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)))
  console.log(`\n${title}`)
  for (const [k, r] of cells.entries()) {
    console.log(
      r
        .map((c, i) =>
          String(c)
            .padStart(i === 0 ? 0 : widths[i])
            .padEnd(i === 0 ? widths[i] : 0),
        )
        .join('  '),
    )
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-'
  if (Number.isInteger(n)) return n.toLocaleString('en-US')
  if (n >= 1000) return Math.round(n).toLocaleString('en-US')
  if (n >= 10) return n.toFixed(1)
  return n.toFixed(3)
}

/** Runs `clients` loops of `perClient` calls each and times every call. */
export async function load(
  clients: number,
  perClient: number,
  call: (client: number) => Promise<unknown>,
): Promise<Stats> {
  const lat: number[] = []
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const s = performance.now()
        await call(c)
        lat.push(performance.now() - s)
      }
    }),
  )
  return stats(lat, performance.now() - t0)
}
