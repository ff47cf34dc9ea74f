/**
 * How a write makes `.bak` and `.lkg` (daemon/store/files.ts, spares.ts): `.bak` is the file
 * the write replaced, `.lkg` the one it wrote, each a separate file, made with two file writes
 * per update instead of three (the old `.lkg` is renamed to `.bak`), and temp files are reused
 * instead of freed and allocated again — never one still linked under another name, and never
 * before a directory sync has made its detachment from the store's names durable.
 */
import { link, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { describe, expect, it } from 'vitest'
import { nodeFs, type StoreFs } from '../../daemon/store/fs.js'
import { account, names, open, tempStore } from './helpers.js'

/** Real fs that logs the calls the write path makes, and fails renames onto a path on request. */
function loggingFs(dir: string) {
  const log: string[] = []
  const failRenameTo = new Set<string>()
  const short = (p: unknown) => String(p).slice(dir.length + 1) || '.'
  const fs: StoreFs = {
    ...nodeFs,
    open: ((path: string, flags?: string, mode?: number) => {
      log.push(`open ${short(path)} ${flags ?? 'r'}`)
      return nodeFs.open(path, flags, mode)
    }) as StoreFs['open'],
    link: async (from, to) => {
      log.push(`link ${short(from)} ${short(to)}`)
      return nodeFs.link(from, to)
    },
    rename: async (from, to) => {
      log.push(`rename ${short(from)} ${short(to)}`)
      if (failRenameTo.has(String(to))) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' })
      return nodeFs.rename(from, to)
    },
  }
  return { fs, log, failRenameTo }
}

describe('AccountStore: recovery copies', () => {
  it('after every write .bak is the file it replaced and .lkg the one it wrote, also after a lost .lkg', async () => {
    const { dir, file } = await tempStore()
    const seam = loggingFs(dir)
    const { store } = await open({ file, fs: seam.fs })
    let previous: string | undefined
    for (let i = 0; i < 8; i++) {
      // One .lkg write fails: the next write must not take the stale .lkg for the replaced file.
      if (i === 4) seam.failRenameTo.add(`${file}.lkg`)
      await store.update((d) => void (d.accounts[`acc${i}`] = account(i)))
      seam.failRenameTo.clear()
      const now = await readFile(file, 'utf8')
      if (previous !== undefined) expect(await readFile(`${file}.bak`, 'utf8'), `write ${i}`).toBe(previous)
      if (i !== 4) expect(await readFile(`${file}.lkg`, 'utf8'), `write ${i}`).toBe(now)
      previous = now
    }
    // Three separate files, not names of one.
    const inodes = new Set(await Promise.all(['', '.bak', '.lkg'].map(async (s) => (await stat(file + s)).ino)))
    expect(inodes.size).toBe(3)
  })

  it('writes two files per update, not three: the old .lkg becomes .bak by a rename', async () => {
    const { dir, file } = await tempStore()
    const seam = loggingFs(dir)
    const { store } = await open({ file, fs: seam.fs })
    for (let i = 0; i < 3; i++) await store.update((d) => void (d.accounts[`acc${i}`] = account(i)))
    seam.log.length = 0
    await store.update((d) => void (d.accounts.acc9 = account(9)))
    const fileWrites = seam.log.filter((l) => /^open \S+ (w|r\+)$/.test(l))
    expect(fileWrites).toHaveLength(2)
    expect(seam.log).toContain('rename accounts.json.lkg accounts.json.bak')
  })

  it('overwrites a kept temp file only after a directory sync, and only while it has no other name', async () => {
    const { dir, file } = await tempStore()
    const seam = loggingFs(dir)
    const { store } = await open({ file, fs: seam.fs })
    await store.update((d) => void (d.accounts.acc0 = account(0)))
    // A link of our own to the store file: the store must never write into that file.
    await link(file, `${file}.mine`)
    const mine = await readFile(`${file}.mine`, 'utf8')
    for (let i = 1; i < 10; i++) await store.update((d) => void (d.accounts[`acc${i}`] = account(i)))
    expect(await readFile(`${file}.mine`, 'utf8')).toBe(mine)

    const reused = seam.log.filter((l) => l.endsWith(' r+'))
    expect(reused.length).toBeGreaterThan(5)
    for (const line of reused) {
      const spare = line.split(' ')[1]
      const kept = seam.log.findIndex((l) => l.startsWith('link ') && l.endsWith(` ${spare}`))
      const synced = seam.log.findIndex((l, i) => i > kept && l === `open . r`)
      expect(kept, line).toBeGreaterThanOrEqual(0)
      expect(synced, line).toBeGreaterThan(kept)
      expect(synced, line).toBeLessThan(seam.log.indexOf(line))
    }
    await store.close()
    expect((await names(dirname(file))).filter((n) => n.includes('.tmp-'))).toEqual([])
  })

  it('recovers the latest state from .lkg, and the one before from .bak', async () => {
    const { file } = await tempStore()
    const { store } = await open({ file })
    for (let i = 0; i < 4; i++) await store.update((d) => void (d.accounts[`acc${i}`] = account(i)))
    await store.close()
    await writeFile(file, 'garbage')
    const fromLkg = await open({ file })
    expect(fromLkg.store.recoveredFrom).toBe(`${file}.lkg`)
    expect(Object.keys(fromLkg.store.data.accounts)).toEqual(['acc0', 'acc1', 'acc2', 'acc3'])
    await fromLkg.store.close()

    await writeFile(file, 'garbage')
    await writeFile(`${file}.lkg`, 'garbage')
    const fromBak = await open({ file })
    expect(fromBak.store.recoveredFrom).toBe(`${file}.bak`)
    // The bad file was moved aside, so the recovery write replaced nothing: .bak is still the
    // file the last update replaced.
    expect(Object.keys(fromBak.store.data.accounts)).toEqual(['acc0', 'acc1', 'acc2'])
  })
})
