/**
 * A line diff for showing what a re-install changes in a unit file: "-" old,
 * "+" new, unchanged lines left out. LCS over lines; unit files are small.
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const n = a.length
  const m = b.length
  const table = new Uint32Array((n + 1) * (m + 1))
  const at = (i: number, j: number): number => table[i * (m + 1) + j] ?? 0
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      table[i * (m + 1) + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1))
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i++
      j++
    } else if (at(i + 1, j) >= at(i, j + 1)) out.push(`- ${a[i++] ?? ''}`)
    else out.push(`+ ${b[j++] ?? ''}`)
  }
  while (i < n) out.push(`- ${a[i++] ?? ''}`)
  while (j < m) out.push(`+ ${b[j++] ?? ''}`)
  return out
}
