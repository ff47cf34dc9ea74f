import type { CommandRunner } from '../../run-command.js'

/**
 * systemd's own exposure rating of the unit file (0 = locked down, 10 = fully
 * exposed), read offline so it works without a running user manager.
 * Undefined when systemd-analyze is missing or says nothing we can read.
 */
export async function exposureScore(run: CommandRunner, serviceFile: string): Promise<number | undefined> {
  const r = await run('systemd-analyze', ['security', '--offline=true', '--user', '--no-pager', serviceFile])
  const m = /Overall exposure level for \S+:\s*(\d+(?:\.\d+)?)/.exec(r.stdout + r.stderr)
  return m?.[1] === undefined ? undefined : Number(m[1])
}

/** `systemd-analyze --user verify`: every line it prints is a problem in our units. */
export async function verifyUnits(
  run: CommandRunner,
  files: string[],
): Promise<{ ok: boolean; problems: string[] } | undefined> {
  const r = await run('systemd-analyze', ['--user', 'verify', ...files])
  if (r.code === 127) return undefined
  const problems = (r.stdout + r.stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return { ok: r.code === 0 && problems.length === 0, problems }
}
