import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../client/rpc/client.js'
import { runWatch } from '../../client/cli/commands/watch.js'
import { CSV_COLUMNS, sparkline, usageCsv } from '../../client/cli/usage-format.js'
import { cliArgv, killStrayClis, ROOT, runCli } from '../cli/run.js'
import { FakeClock } from '../helpers/clock.js'
import { cleanup, makeDirs } from '../helpers/daemon.js'
import { limitHeaders, startUsageApp, type UsageApp } from './support.js'

let app: UsageApp | undefined
afterEach(async () => {
  killStrayClis()
  await app?.close()
  app = undefined
})

/** RFC 4180 reader, written for the test: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  if (field !== '' || row.length) rows.push([...row, field])
  return rows
}

async function seeded(): Promise<UsageApp> {
  // The CLI computes --since from its own clock: the daemon's fake one starts at real time.
  app = await startUsageApp({ clock: new FakeClock(Date.now() - 3_600_000) })
  await app.add('alice', 1)
  await app.add('bob+work@x.y', 2)
  for (let i = 0; i < 3; i++)
    await app.t.client.call('token.report', {
      alias: 'alice',
      status: 200,
      headers: limitHeaders(40 + i),
      usage: { inputTokens: 1000, outputTokens: 50, cachedTokens: 400, reasoningTokens: 7 },
    })
  await app.clock.advance(3_600_000)
  await app.t.client.call('token.report', { alias: 'bob+work@x.y', status: 503, body: 'x' })
  return app
}

// Each CLI run starts node with tsx: on a loaded machine that takes seconds.
const CLI_TEST_MS = 120_000

describe('usage and watch in the CLI', () => {
  it('the CSV parses back to the buckets usage.get gave', async () => {
    const a = await seeded()
    const result = await a.t.client.call('usage.get', { since: 0 })
    const rows = parseCsv(usageCsv(result))
    expect(rows[0]).toEqual([...CSV_COLUMNS])
    const back = rows.slice(1).map((r) => Object.fromEntries(r.map((v, i) => [CSV_COLUMNS[i], v])))
    const want = result.accounts.flatMap((acc) =>
      acc.buckets.map((b) => ({
        alias: acc.alias,
        start: new Date(b.start).toISOString(),
        requests: String(b.requests),
        input_tokens: String(b.inputTokens),
        cached_tokens: String(b.cachedTokens),
        status_5xx: String(b.status['5xx']),
        five_hour_used_percent: b.fiveHourUsedPercent === undefined ? '' : String(b.fiveHourUsedPercent),
      })),
    )
    expect(back).toHaveLength(2)
    expect(back).toEqual(want.map((w): unknown => expect.objectContaining(w)))
    expect(back[0]).toMatchObject({ alias: 'alice', requests: '3', input_tokens: '3000', five_hour_used_percent: '42' })
  })

  it('a field with a comma or quote is quoted (RFC 4180)', async () => {
    const { csvField } = await import('../../client/cli/usage-format.js')
    expect(parseCsv(`${['a,b', 'say "hi"', 'x'].map(csvField).join(',')}\r\n`)).toEqual([['a,b', 'say "hi"', 'x']])
  })

  it('sparklines scale to the largest value', () => {
    expect(sparkline([0, 0, 0])).toBe('▁▁▁')
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▁▂▄█')
  })

  it(
    '`usage` prints a table, sparklines and the runway; --csv and --json for scripts',
    async () => {
      const a = await seeded()
      const env = { ...a.t.dirs.env }
      const text = await runCli(['usage'], { env })
      expect(text.code).toBe(0)
      expect(text.stdout).toMatch(/ALIAS\s+REQUESTS\s+IN\s+OUT\s+CACHED\s+429s/)
      expect(text.stdout).toMatch(/alice\s+3\s+3000\s+150\s+1200/)
      expect(text.stdout).toContain('LAST 24 H')
      expect(text.stdout).toContain('pool:')
      const csv = await runCli(['usage', 'alice', '--csv', '--by', 'day'], { env })
      expect(parseCsv(csv.stdout).slice(1)).toEqual([expect.arrayContaining(['alice', '24', '3', '3000'])])
      const json = await runCli(['usage', '--json', '--since', '1d'], { env })
      expect(JSON.parse(json.stdout)).toMatchObject({ bucket: 'hour', pool: { totals: { requests: 4 } } })
      const bad = await runCli(['usage', '--by', 'week'], { env })
      expect(bad.code).toBe(2)
      const status = await runCli(['status'], { env })
      expect(status.stdout).toContain('Runway:')
    },
    CLI_TEST_MS,
  )

  it('runWatch prints one line per alert, and says once that the notifier is missing', async () => {
    app = await startUsageApp()
    await app.add('a', 1)
    await app.add('b', 2)
    const client = await RpcClient.connect({ socketPath: app.t.dirs.socketPath })
    const lines: string[] = []
    const errors: string[] = []
    const spawned: string[] = []
    const before = app.t.app.components.bus.size
    const done = runWatch(client, {
      json: false,
      print: (l) => lines.push(l),
      error: (l) => errors.push(l),
      notify: { platform: 'linux', spawn: (cmd) => (spawned.push(cmd), Promise.resolve(false)) },
    })
    while (app.t.app.components.bus.size <= before) await new Promise((r) => setImmediate(r))
    for (const [alias, used] of [
      ['a', 75],
      ['b', 75],
      ['b', 95],
    ] as const)
      await app.t.client.call('token.report', { alias, status: 200, headers: limitHeaders(used) })
    await client.call('daemon.status', {})
    client.close()
    await done
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}limits\.threshold {2}a has 25 % left of its 5 h window/)
    expect(lines[2]).toContain('b has 5 % left')
    expect(spawned).toEqual(['notify-send'])
    expect(errors).toEqual(['notify-send is not installed; printing only'])
  })

  it(
    '`watch --json` prints NDJSON as alerts happen',
    async () => {
      app = await startUsageApp()
      await app.add('a', 1)
      await app.add('b', 2)
      const [command, ...argv] = cliArgv(['watch', '--json'])
      const proc = spawn(command, argv, { env: app.t.dirs.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      const twoLines = new Promise<void>((resolve) => {
        proc.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d
          if (out.split('\n').filter(Boolean).length >= 2) resolve()
        })
      })
      const before = app.t.app.components.bus.size
      while (app.t.app.components.bus.size <= before) await new Promise((r) => setTimeout(r, 20))
      await app.t.client.call('token.report', { alias: 'a', status: 200, headers: limitHeaders(75) })
      await app.t.client.call('token.report', { alias: 'a', status: 200, headers: limitHeaders(95) })
      await twoLines
      proc.kill('SIGINT')
      await new Promise((r) => proc.once('close', r))
      const events = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; level: string })
      expect(events.map((e) => [e.type, e.level])).toEqual([
        ['limits.threshold', 'low'],
        ['limits.threshold', 'critical'],
      ])
    },
    CLI_TEST_MS,
  )

  it(
    '`watch` waits for a daemon that went away and goes on printing once it is back',
    async () => {
      const dirs = makeDirs()
      const clock = new FakeClock()
      app = await startUsageApp({ dirs, clock })
      await app.add('a', 1)
      await app.add('b', 2)
      const [command, ...argv] = cliArgv(['watch'])
      const proc = spawn(command, argv, { env: dirs.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
      proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
      const until = async (ok: () => boolean): Promise<void> => {
        const deadline = Date.now() + 15_000
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`watch never got there:\n${out}\n${err}`)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      const subscribedTo = (u: UsageApp): number => u.t.app.components.bus.size
      const base = subscribedTo(app)
      await until(() => subscribedTo(app!) > base)
      await app.close()
      app = await startUsageApp({ dirs, clock })
      await until(() => err.includes('reconnected to the daemon'))
      // The same daemon build has the same subscriptions of its own: one more is watch's.
      await until(() => subscribedTo(app!) > base)
      await app.t.client.call('token.report', { alias: 'a', status: 200, headers: limitHeaders(75) })
      await until(() => out.includes('limits.threshold'))
      proc.kill('SIGINT')
      await new Promise((r) => proc.once('close', r))
      expect(err).toContain('the daemon closed the connection; waiting for it to come back')
      expect(out).toMatch(/limits\.threshold {2}a has 25 % left/)
      await app.close()
      app = undefined
      cleanup(dirs)
    },
    CLI_TEST_MS,
  )
})
