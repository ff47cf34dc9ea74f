/**
 * The crash window of a refresh: from the issuer's answer until the new pair's
 * first fsync, a kill -9 loses the account (its old refresh token is spent).
 * So the store file is written first, and its backup and last-known-good copy
 * only after it is durable.
 */
import * as fsp from 'node:fs/promises'
import { basename } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StoreFs } from '../../daemon/store/fs.js'
import { account, open, tempStore } from './helpers.js'

describe('store write order', () => {
  it('renames the store file into place before writing .bak and .lkg', async () => {
    const { file } = await tempStore()
    const renames: string[] = []
    const fs: StoreFs = {
      ...fsp,
      rename: async (from, to) => {
        renames.push(basename(String(to)))
        return fsp.rename(from, to)
      },
    }
    const durable: number[] = []
    const { store } = await open({ file, fs, onDurable: () => durable.push(renames.length) })
    await store.update((d) => void (d.accounts.acc1 = account(1)))
    renames.length = 0
    durable.length = 0
    await store.update((d) => void (d.accounts.acc1 = account(1, { refreshToken: 'rotated-SECRET' })))
    expect(renames).toEqual(['accounts.json', 'accounts.json.bak', 'accounts.json.lkg'])
    // Durable after the first rename, before either copy.
    expect(durable).toEqual([1])
  })
})
