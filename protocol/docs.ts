import * as z from 'zod'
import { errorTable } from './error-data.js'
import { eventSchemas } from './events.js'
import { methods, type MethodName } from './methods.js'

/**
 * docs/protocol.md's tables, rendered from the method, error and event tables.
 * Pure (string in, string out) so protocol/ stays free of Node; `npm run docs`
 * writes the file and a test fails when the committed one is out of date.
 */

export const GENERATED_BEGIN =
  '<!-- BEGIN GENERATED: `npm run docs` renders this from protocol/; do not edit by hand -->'
export const GENERATED_END = '<!-- END GENERATED -->'

/** `{a, b?}` from an object schema: the keys, optional ones (or defaulted) with `?`. */
function keys(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodObject)) return '…'
  const shape = schema.shape as Record<string, z.ZodType>
  const names = Object.entries(shape)
    .filter(([k]) => k !== 'type' && k !== 'at')
    .map(([k, v]) => {
      if (v instanceof z.ZodLiteral) return `${k}: ${JSON.stringify(v.value)}`
      return v.safeParse(undefined).success ? `${k}?` : k
    })
  return names.length ? `\`{${names.join(', ')}}\`` : '—'
}

function variants(schema: z.ZodType): z.ZodType[] {
  return schema instanceof z.ZodUnion ? (schema.options as z.ZodType[]).flatMap(variants) : [schema]
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

export function renderMethodTable(): string {
  const rows = (Object.keys(methods) as MethodName[]).map((name) => {
    const m = methods[name]
    const errors = m.errors.length ? m.errors.join(', ') : '—'
    return `| \`${name}\` | ${cell(keys(m.params))} | ${cell(m.summary)} | ${errors} | ${m.transports.join(', ')} |`
  })
  return ['| method | params | result | errors | transports |', '|---|---|---|---|---|', ...rows].join('\n')
}

export function renderErrorTable(): string {
  const rows = Object.entries(errorTable).map(([name, e]) => `| ${e.code} | ${name} | ${cell(e.when)} |`)
  return ['| code | name | when |', '|---|---|---|', ...rows].join('\n')
}

export function renderEventTable(): string {
  const rows = Object.entries(eventSchemas).map(
    ([topic, schema]) => `| \`${topic}\` | ${cell(variants(schema).map(keys).join(' or '))} |`,
  )
  return ['| type | fields (besides `type` and `at`) |', '|---|---|', ...rows].join('\n')
}

/** The generated block: errors, methods, events. */
export function renderGenerated(): string {
  return [
    GENERATED_BEGIN,
    '',
    '## Errors',
    '',
    'Any call may get PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS or INTERNAL_ERROR;',
    'the other codes are listed per method below. `data` shapes are the zod schemas in `protocol/error-data.ts`.',
    '',
    renderErrorTable(),
    '',
    '## Methods',
    '',
    'The table is `protocol/methods.ts`. `?` marks an optional param. Over HTTP (the dashboard) a method',
    'not listed for `http` is unknown (METHOD_NOT_FOUND): the page never holds a token.',
    '',
    renderMethodTable(),
    '',
    '## Events',
    '',
    'Notifications `{"method":"event","params":{type, at, ...}}` after `events.subscribe`; the schemas are',
    '`protocol/events.ts`. Events never carry a token.',
    '',
    renderEventTable(),
    '',
    GENERATED_END,
  ].join('\n')
}

/** `doc` with its generated block replaced (or appended when it has none yet). */
export function renderProtocolDoc(doc: string): string {
  const begin = doc.indexOf(GENERATED_BEGIN)
  const end = doc.indexOf(GENERATED_END)
  if (begin === -1 || end === -1 || end < begin) return `${doc.trimEnd()}\n\n${renderGenerated()}\n`
  return doc.slice(0, begin) + renderGenerated() + doc.slice(end + GENERATED_END.length)
}
