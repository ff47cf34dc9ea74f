import type { Command } from 'commander'
import { PRESETS, type Preset, type Settings } from '../../../protocol/schemas.js'
import { makeCli, UsageError, type Cli, type GlobalOptions } from '../context.js'
import { parseDuration } from '../duration.js'
import { printJson, table } from '../output.js'
import type { Action } from '../program.js'

const WEIGHT_PREFIX = 'accountWeights.'

function showMs(ms: number): string {
  const h = ms / 3_600_000
  return h >= 24 && Number.isInteger(h / 24)
    ? `${h / 24}d`
    : Number.isInteger(h)
      ? `${h}h`
      : `${Math.round(ms / 60_000)}m`
}

function printSettings(cli: Cli, s: Settings, key?: string): void {
  if (key !== undefined) {
    const value = (s as unknown as Record<string, unknown>)[key]
    if (value === undefined) throw new UsageError(`unknown setting ${key}; known: ${Object.keys(s).join(', ')}`)
    return cli.out.json
      ? printJson(cli.out, { [key]: value })
      : cli.out.print(typeof value === 'string' ? value : JSON.stringify(value))
  }
  if (cli.out.json) return printJson(cli.out, s)
  const weights = Object.entries(s.accountWeights)
  cli.out.print(
    table([
      ['rotationStrategy', s.rotationStrategy],
      ['preset', s.preset],
      ['criticalThreshold', `${s.criticalThreshold}%`],
      ['lowThreshold', `${s.lowThreshold}%`],
      ['accountWeights', weights.length ? weights.map(([a, w]) => `${a}=${w}`).join(', ') : '(equal)'],
      ['preferProAccounts', String(s.preferProAccounts)],
      ['refreshAheadMs', `${s.refreshAheadMs} (${showMs(s.refreshAheadMs)})`],
      ['idleRefreshMs', `${s.idleRefreshMs} (${showMs(s.idleRefreshMs)})`],
      ['proxy', s.proxy ? s.proxy.replace(/\/\/[^@/]*@/, '//***@') : '(none; HTTPS_PROXY/HTTP_PROXY apply if set)'],
    ]),
  )
}

/** A value as typed: booleans, numbers, JSON objects, durations for *Ms keys; else the text itself. */
export function parseValue(key: string, raw: string): unknown {
  if (key.endsWith('Ms') && !/^\d+$/.test(raw)) {
    const ms = parseDuration(raw)
    if (ms === undefined)
      throw new UsageError(`${key} wants milliseconds or a duration like 12h or 4d, got ${JSON.stringify(raw)}`)
    return ms
  }
  if (raw === 'true' || raw === 'false') return raw === 'true'
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw)
  if (/^\s*[[{]/.test(raw)) {
    try {
      return JSON.parse(raw) as unknown
    } catch {
      throw new UsageError(`${key}: not valid JSON: ${raw}`)
    }
  }
  return raw
}

/** k=v pairs into a settings patch; accountWeights.<alias>=w edits one weight ("none" drops it). */
async function buildPatch(cli: Cli, pairs: string[]): Promise<Record<string, unknown>> {
  const patch: Record<string, unknown> = {}
  let weights: Record<string, number> | undefined
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`expected key=value, got ${JSON.stringify(pair)}`)
    const key = pair.slice(0, eq).trim()
    const raw = pair.slice(eq + 1).trim()
    if (key.startsWith(WEIGHT_PREFIX)) {
      weights ??= { ...(await cli.call('settings.get', {})).accountWeights }
      const alias = key.slice(WEIGHT_PREFIX.length)
      if (raw === 'none') delete weights[alias]
      else {
        const w = Number(raw)
        if (raw === '' || !Number.isFinite(w))
          throw new UsageError(`${key} wants a number in (0,1], got ${JSON.stringify(raw)}`)
        weights[alias] = w
      }
      continue
    }
    patch[key] = parseValue(key, raw)
  }
  if (weights) patch.accountWeights = weights
  return patch
}

export function registerSettings(program: Command, run: Action): void {
  const settings = program
    .command('settings')
    .description('show or change rotation settings: thresholds, weights, presets, keep-alive intervals')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  opencode-multi-auth settings\n' +
        '  opencode-multi-auth settings set criticalThreshold=15 lowThreshold=35\n' +
        '  opencode-multi-auth settings set accountWeights.work=0.7 accountWeights.home=0.3\n' +
        '  opencode-multi-auth settings set preferProAccounts=true idleRefreshMs=3d\n' +
        '  opencode-multi-auth settings preset conservative\n' +
        '  opencode-multi-auth settings reset\n\n' +
        'Invalid values are refused with the field named, and nothing is saved.',
    )

  settings
    .command('get [key]', { isDefault: true })
    .description('print the settings in effect (or one key)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (key: string | undefined, opts: GlobalOptions) => {
        const cli = makeCli(opts)
        printSettings(cli, await cli.call('settings.get', {}), key)
      }),
    )

  settings
    .command('set <pairs...>')
    .description(
      'change settings: key=value ... (all checked together; a change to thresholds or weights makes the preset "custom")',
    )
    .option('--json', 'machine-readable output')
    .action(
      run(async (pairs: string[], opts: GlobalOptions) => {
        const cli = makeCli(opts)
        printSettings(cli, await cli.call('settings.update', await buildPatch(cli, pairs)))
      }),
    )

  settings
    .command('reset')
    .description('every setting back to its default')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: GlobalOptions) => {
        const cli = makeCli(opts)
        printSettings(cli, await cli.call('settings.reset', {}))
      }),
    )

  settings
    .command('preset <name>')
    .description(
      `apply a preset: ${PRESETS.join(', ')} (balanced 10/30 and equal weights, conservative 20/40, aggressive 5/20)`,
    )
    .option('--json', 'machine-readable output')
    .action(
      run(async (name: string, opts: GlobalOptions) => {
        if (!(PRESETS as readonly string[]).includes(name)) {
          throw new UsageError(`unknown preset ${JSON.stringify(name)}; choose one of: ${PRESETS.join(', ')}`)
        }
        const cli = makeCli(opts)
        printSettings(cli, await cli.call('settings.applyPreset', { preset: name as Preset }))
      }),
    )
}
