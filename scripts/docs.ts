/** `npm run docs`: rewrites the generated tables of docs/protocol.md from protocol/. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderProtocolDoc } from '../protocol/docs.js'

const file = join(import.meta.dirname, '..', 'docs', 'protocol.md')
const before = readFileSync(file, 'utf8')
const after = renderProtocolDoc(before)
if (after !== before) writeFileSync(file, after)
process.stdout.write(after === before ? 'docs/protocol.md is up to date\n' : 'docs/protocol.md rewritten\n')
