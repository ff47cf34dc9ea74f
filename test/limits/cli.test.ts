import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RpcClient } from '../../client/rpc/client.js'
import type { LimitsResult } from '../../protocol/methods.js'
import { startFakeBackend, type FakeBackend } from '../fakes/backend.js'
import { startFakeIssuer, type FakeIssuer } from '../fakes/issuer.js'
import { addAccount } from '../helpers/accounts.js'
import { cleanup, makeDirs, startDaemon, type SpawnedDaemon } from '../helpers/daemon.js'
import { json, killStrayClis, runCli } from '../cli/run.js'

// Every CLI run starts a fresh node with tsx (~1 s).
const SLOW = 60_000

type RefreshOutput = LimitsResult & { results: { alias: string; ok: boolean; error?: string }[] }

describe('CLI: opencode-multi-auth limits', () => {
  let issuer: FakeIssuer
  let backend: FakeBackend
  let d: SpawnedDaemon
  let client: RpcClient
  beforeAll(async () => {
    issuer = await startFakeIssuer()
    backend = await startFakeBackend()
    d = await startDaemon(
      makeDirs({ OPENCODE_MULTI_AUTH_ISSUER: issuer.url, OPENCODE_MULTI_AUTH_CHATGPT_BASE_URL: backend.url }),
    )
    client = await d.connect()
    await addAccount(client, issuer, 1, undefined, 'work')
    await addAccount(client, issuer, 2, undefined, 'home')
  }, SLOW)
  afterAll(async () => {
    killStrayClis()
    client?.close()
    await d?.stop()
    await Promise.all([issuer?.close(), backend?.close()])
    if (d) cleanup(d.dirs)
  })

  it(
    '`limits --refresh --json` probes every account, waits, and prints both windows',
    async () => {
      backend.setUsage('acct-1', { primaryUsedPercent: 25, secondaryUsedPercent: 60 })
      const r = await runCli(['limits', '--refresh', '--json'], { env: d.dirs.env })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const out = json<RefreshOutput>(r)
      expect(out.results).toEqual(
        expect.arrayContaining([
          { alias: 'work', ok: true },
          { alias: 'home', ok: true },
        ]),
      )
      const work = out.accounts.find((a) => a.alias === 'work')
      expect(work?.limits).toMatchObject({
        confidence: 'fresh',
        fiveHour: { windowMinutes: 300, remainingPercent: 75 },
        weekly: { windowMinutes: 10_080, remainingPercent: 40 },
      })
      expect(out.accounts.find((a) => a.alias === 'home')?.limits.confidence).toBe('fresh')

      const table = await runCli(['limits', 'work'], { env: d.dirs.env })
      expect(table.code).toBe(0)
      expect(table.stdout).toMatch(/5H LEFT.*WEEK LEFT.*CONFIDENCE/)
      expect(table.stdout).toMatch(/^work\s+75%\s+in \d+h\s+40%\s+in \d+d\s+fresh/m)
    },
    SLOW,
  )

  it(
    'exits 1 when a probe fails (usage answers 403), and names the account',
    async () => {
      backend.setUsageStatus('acct-2', 403)
      const r = await runCli(['limits', 'home', '--refresh'], { env: d.dirs.env })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/probe failed for home: .*HTTP 403/)
      expect(r.stdout).toMatch(/^home\s.*error/m)
      const missing = await runCli(['limits', 'nobody', '--refresh', '--json'], { env: d.dirs.env })
      expect(missing.code).toBe(1)
      expect(json<{ error: { code: number } }>(missing).error.code).toBe(-32001)
    },
    SLOW,
  )
})
