import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callResponses, lastResponsesRequest, openCodeBody, startHarness, type Harness } from './harness.js'

const user = (text: string) => ({ role: 'user', content: [{ type: 'input_text', text }] })
const assistant = (text: string) => ({
  type: 'message',
  role: 'assistant',
  id: `msg_${text}`,
  content: [{ type: 'output_text', text }],
})
const reasoning = (blob: string) => ({ type: 'reasoning', id: `rs_${blob}`, summary: [], encrypted_content: blob })

interface Item {
  type?: string
  encrypted_content?: string
}

function blobsSeen(h: Harness): string[] {
  const input = (lastResponsesRequest(h.backend).body as { input: Item[] }).input
  return input.filter((i) => i.encrypted_content !== undefined).map((i) => i.encrypted_content as string)
}

describe('plugin fetch: reasoning.encrypted_content is stripped only when the conversation changes account', () => {
  let h: Harness
  let first: string
  let second: string
  beforeAll(async () => {
    h = await startHarness()
    await h.addAccount('a')
    await h.addAccount('b')
    // Same account per conversation while it can serve (round-robin would move every turn).
    await h.rpc.call('rotation.setStrategy', { strategy: 'sticky' })
  })
  afterAll(async () => {
    expect(h.issuer.reuseDetected).toBe(0)
    await h?.close()
  })

  const turn = async (input: unknown[]): Promise<string> => {
    const res = await callResponses(h, openCodeBody({ prompt_cache_key: 'ses_enc', input }))
    expect(res.status).toBe(200)
    await res.text()
    return lastResponsesRequest(h.backend).headers['chatgpt-account-id']
  }

  const turn1 = [user('one')]
  const turn2 = [...turn1, reasoning('enc-first-1'), assistant('r1'), user('two')]

  it('same account: the encrypted reasoning goes back as it came (only the item id dropped)', async () => {
    first = await turn(turn1)
    expect(await turn(turn2)).toBe(first)
    expect(blobsSeen(h)).toEqual(['enc-first-1'])
    const input = (lastResponsesRequest(h.backend).body as { input: Record<string, unknown>[] }).input
    expect(input.find((i) => i.type === 'reasoning')).toEqual({
      type: 'reasoning',
      summary: [],
      encrypted_content: 'enc-first-1',
    })
  })

  it('the account changes within a call (429): the old account’s reasoning is stripped', async () => {
    h.backend.setBehavior(first, { status: 429 })
    const turn3 = [...turn2, assistant('r2'), user('three')]
    second = await turn(turn3)
    expect(second).not.toBe(first)
    expect(blobsSeen(h)).toEqual([])
    const types = (lastResponsesRequest(h.backend).body as { input: Item[] }).input.map((i) => i.type ?? 'user')
    expect(types).not.toContain('reasoning')
    // The rest of the conversation is intact.
    expect(types.filter((t) => t === 'message')).toHaveLength(2)
  })

  it('later turns on the new account keep its own reasoning and still strip the old one', async () => {
    const turn4 = [...turn2, assistant('r2'), user('three'), reasoning('enc-second-1'), assistant('r3'), user('four')]
    expect(await turn(turn4)).toBe(second)
    expect(blobsSeen(h)).toEqual(['enc-second-1'])
  })

  it('another conversation on an unchanged account is never stripped', async () => {
    const res = await callResponses(
      h,
      openCodeBody({ prompt_cache_key: 'ses_other', input: [user('x'), reasoning('enc-other'), user('y')] }),
    )
    await res.text()
    expect(blobsSeen(h)).toEqual(['enc-other'])
  })
})
