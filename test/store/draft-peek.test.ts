import { describe, expect, it } from 'vitest'
import { draftOf, peekAccounts } from '../../daemon/store/draft.js'
import { emptyStore, type StoreData } from '../../daemon/store/schema.js'

function pool(n: number): StoreData {
  const data = emptyStore(0)
  data.accounts = Object.create(null) as StoreData['accounts']
  for (let i = 0; i < n; i++)
    data.accounts[`a${i}`] = { accessToken: `at${i}`, refreshToken: `rt${i}`, expiresAt: i, usageCount: 0 }
  return data
}

describe('peekAccounts: reading a draft without copying it', () => {
  it('a scan through it copies nothing; what the mutator changed shows through it', () => {
    const current = pool(50)
    const draft = draftOf(current)
    const view = peekAccounts(draft.data)
    for (const [alias, acc] of Object.entries(view)) expect(acc).toBe(current.accounts[alias])
    const changed = draft.data.accounts.a7
    if (!changed) throw new Error('a7 missing')
    changed.usageCount = 9
    expect(view.a7).toBe(changed)
    expect(view.a7?.usageCount).toBe(9)
    expect(current.accounts.a7?.usageCount).toBe(0)
    const next = draft.finish()
    expect(next.accounts.a7?.usageCount).toBe(9)
    for (let i = 0; i < 50; i++) if (i !== 7) expect(next.accounts[`a${i}`]).toBe(current.accounts[`a${i}`])
  })

  it('is the accounts map itself for a state that is not a draft', () => {
    const data = pool(3)
    expect(peekAccounts(data)).toBe(data.accounts)
  })
})
