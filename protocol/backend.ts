/**
 * The shapes of the ChatGPT Codex backend that both sides of the pool read: a Responses
 * request body (the fields the backend client reads or rewrites; everything else passes
 * through), a usage-limit answer, and a completed response's token usage. Schemas only;
 * upstream/ parses with them (it imports no package of its own).
 */
import * as z from 'zod'

export const responsesBody = z.looseObject({
  model: z.string().min(1).max(200),
  input: z.union([z.string(), z.array(z.unknown())]).optional(),
  stream: z.boolean().nullable().optional(),
  store: z.boolean().nullable().optional(),
  prompt_cache_key: z.string().optional(),
  reasoning: z.looseObject({ effort: z.string().nullable().optional() }).nullable().optional(),
  service_tier: z.string().nullable().optional(),
})
export type ResponsesBody = z.infer<typeof responsesBody>

/** `{"error":{"type":"usage_limit_reached","resets_at":<epoch s>,...}}` (only what is read). */
export const usageLimitBody = z.object({ error: z.object({ resets_at: z.number() }) })

const count = z.number().int().nonnegative()
/** `response.usage` of a `response.completed` event. */
export const completedUsage = z.object({
  input_tokens: count,
  output_tokens: count,
  input_tokens_details: z.object({ cached_tokens: count.optional() }).nullable().optional(),
  output_tokens_details: z.object({ reasoning_tokens: count.optional() }).nullable().optional(),
})
