import * as z from 'zod'
import { UsageError } from './context.js'

const camel = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  idToken: z.string().min(1).optional(),
  expiresAt: z.number().int().positive().optional(),
})
const snake = z
  .object({ access_token: z.string().min(1), refresh_token: z.string().min(1), id_token: z.string().min(1).optional() })
  .transform((t) => ({ accessToken: t.access_token, refreshToken: t.refresh_token, idToken: t.id_token }))
const codexFile = z.object({ tokens: snake }).transform((f) => f.tokens)
const accepted = z.union([camel, snake, codexFile])

export type StdinTokens = z.infer<typeof camel>

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c)
  return Buffer.concat(chunks).toString('utf8')
}

/** Tokens handed over by scripts (e.g. the old auto_login.py), in any of the shapes they come in. */
export async function readTokensFromStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<StdinTokens> {
  if ((stream as NodeJS.ReadStream).isTTY) throw new UsageError('add-tokens reads JSON from stdin; pipe it in')
  const text = (await readAll(stream)).trim()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UsageError('stdin is not JSON: expected {"accessToken","refreshToken","idToken"?}')
  }
  const parsed = accepted.safeParse(json)
  if (!parsed.success) {
    throw new UsageError(
      'expected {"accessToken","refreshToken","idToken"?}, {"access_token",...} or a Codex auth.json',
    )
  }
  return parsed.data
}
