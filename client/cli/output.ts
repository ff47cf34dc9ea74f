/** Output helpers: JSON for scripts, aligned tables for people, colour only on a TTY without NO_COLOR. */
export interface Out {
  json: boolean
  color: boolean
  print(text: string): void
  error(text: string): void
}

export function makeOut(json: boolean, stream: NodeJS.WriteStream = process.stdout): Out {
  const color = Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
  return {
    json,
    color,
    print: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    error: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  }
}

export function printJson(out: Out, value: unknown): void {
  out.print(JSON.stringify(value, null, 2))
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const
export function paint(out: Out, style: keyof typeof CODES, text: string): string {
  return out.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return ''
  // ANSI colour sequences start with ESC: matching the control character is the point.
  // eslint-disable-next-line no-control-regex
  const strip = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '')
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => strip(r[i] ?? '').length)))
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - strip(cell).length)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function when(ms: number | undefined, now = Date.now()): string {
  if (!ms) return '-'
  const d = ms - now
  const abs = Math.abs(d)
  const unit =
    abs < 90_000
      ? `${Math.round(abs / 1000)}s`
      : abs < 5_400_000
        ? `${Math.round(abs / 60_000)}m`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)}h`
          : `${Math.round(abs / 86_400_000)}d`
  return d >= 0 ? `in ${unit}` : `${unit} ago`
}
