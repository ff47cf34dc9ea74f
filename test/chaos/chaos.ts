/**
 * `npm run chaos`: a real daemon, the fake issuer, and everything a careless
 * user or a hostile local client can do to them. Prints figures (and `--json`),
 * asserts no timings; exits 1 when an invariant broke:
 * - kill -9 at random moments under token.get load with short-lived tokens (every
 *   token.get refreshes): after each, the store loads, every account is there, and
 *   the daemon never presents a spent refresh token beyond the accounts a crash
 *   genuinely cost (those whose rotated pair died before its fsync);
 * - malformed frames, many connections, a client that never reads, half-open and
 *   idle connections, a SIGSTOP'd daemon, another uid: the daemon survives, stays
 *   small, and serves everyone else.
 * Flags: --trials N (default 1000), --frames N, --connections N, --json.
 */
import { startFakeIssuer } from '../fakes/issuer.js'
import { abuse } from './abuse.js'
import { killTrials } from './kill-trials.js'
import type { ChaosRun } from './run.js'

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i === -1 ? NaN : Number(process.argv[i + 1])
  return Number.isFinite(v) && v >= 0 ? v : fallback
}

const opts = {
  trials: flag('trials', 1000),
  frames: flag('frames', 10_000),
  connections: flag('connections', 500),
  json: process.argv.includes('--json'),
}
const run: ChaosRun = {
  opts,
  figures: {},
  broken: [],
  say: (line) => void (opts.json ? process.stderr : process.stdout).write(`${line}\n`),
}
const { figures, broken, say } = run

const issuer = await startFakeIssuer({ accessTokenTtlS: 30 })
try {
  say(`opencode-multi-auth chaos — node ${process.version}, ${new Date().toISOString()}`)
  await killTrials(run, issuer)
  await abuse(run, issuer)
} finally {
  await issuer.close()
}
for (const [k, v] of Object.entries(figures)) say(`${k.padEnd(34)} ${String(v)}`)
figures.broken = broken.length
if (opts.json) process.stdout.write(`${JSON.stringify({ ...figures, problems: broken })}\n`)
for (const b of broken) say(`BROKEN: ${b}`)
process.exit(broken.length ? 1 : 0)
