/**
 * Completions are generated from the commander program: every command and
 * option is in every shell's script, and bash really completes with it.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commandTree, completionScript } from '../../client/cli/completion.js'
import { buildProgram } from '../../client/cli/program.js'
import { runCli } from './run.js'

const program = buildProgram('0.0.0-test')
const HAS_BASH = existsSync('/bin/bash') || existsSync('/usr/bin/bash')

function bashComplete(script: string, words: string[]): string[] {
  const line = [
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_opencode_multi_auth',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  return execFileSync('bash', ['-c', line], { encoding: 'utf8' }).split('\n').filter(Boolean)
}

describe('shell completions', () => {
  const nodes = commandTree(program)

  it('name every command and option of the program, in all three shells', () => {
    expect(nodes.find((n) => n.path.join(' ') === 'service install')?.options.map((o) => o.long)).toContain(
      '--completions',
    )
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const script = completionScript(program, shell)
      for (const n of nodes) {
        for (const s of n.subcommands) expect(script, `${shell}: ${s.name}`).toContain(s.name)
        for (const o of n.options) expect(script, `${shell}: ${o.long}`).toContain(o.long.replace(/^--/, ''))
      }
    }
  })

  it.skipIf(!HAS_BASH)('bash completes subcommands and options at each level', () => {
    const script = completionScript(program, 'bash')
    expect(bashComplete(script, ['opencode-multi-auth', 'dae'])).toEqual(['daemon'])
    expect(bashComplete(script, ['opencode-multi-auth', 'daemon', '']).sort()).toEqual(
      expect.arrayContaining(['restart', 'start', 'status', 'stop']),
    )
    expect(bashComplete(script, ['opencode-multi-auth', 'service', 'install', '--'])).toEqual(
      expect.arrayContaining(['--passphrase-file', '--no-start', '--completions', '--json', '--socket']),
    )
  })

  it('`completion <shell>` prints the script; an unknown shell is a usage error', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' }
    const ok = await runCli(['completion', 'fish'], { env })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain("complete -c opencode-multi-auth -n '__fish_use_subcommand' -a 'doctor'")
    const bad = await runCli(['completion', 'tcsh'], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('bash, zsh or fish')
  })
})
