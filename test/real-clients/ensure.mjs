// Installs the real Codex CLI and OpenCode (test-only, pinned in this folder's
// package-lock.json) before `npm test`, once: a marker holds the lockfile's hash.
//
// Both ship their binaries as per-platform optional dependencies (`@openai/codex-<os>-<arch>`,
// aliases of `@openai/codex@<version>-<os>-<arch>`; `opencode-<os>-<arch>`). npm skips a failed
// optional dependency without an error, so a finished install is not proof the binary is
// there: each launcher is asked for its version before the marker is written. Without a
// registry (offline) the install fails: that is reported and the real-client tests skip,
// instead of failing the whole test run.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = dirname(fileURLToPath(import.meta.url))
const marker = join(dir, 'node_modules', '.installed-lock-hash')
const lock = readFileSync(join(dir, 'package-lock.json'))
const hash = createHash('sha256').update(lock).digest('hex')
const pinned = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies

/** The version each launcher prints, or why it could not run (missing platform package, ...). */
function versions() {
  const bin = (name) => join(dir, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name)
  const ask = (name) => {
    if (!existsSync(bin(name))) return `missing ${bin(name)}`
    try {
      return execFileSync(bin(name), ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: 'pipe' }).trim()
    } catch (err) {
      return `cannot run ${name}: ${String(err.message ?? err).split('\n')[0]}`
    }
  }
  return { codex: ask('codex'), opencode: ask('opencode') }
}

/** Problems with the installed binaries, none when both answer with their pinned version. */
function problems() {
  const v = versions()
  const out = []
  if (!v.codex.endsWith(pinned['@openai/codex'])) out.push(`codex: ${v.codex} (want ${pinned['@openai/codex']})`)
  if (!v.opencode.endsWith(pinned['opencode-ai'])) out.push(`opencode: ${v.opencode} (want ${pinned['opencode-ai']})`)
  return out
}

if (process.env.OPENCODE_MULTI_AUTH_SKIP_REAL_CLIENTS === '1') {
  console.log('real clients: skipped (OPENCODE_MULTI_AUTH_SKIP_REAL_CLIENTS=1); their tests will report as skipped')
} else if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) {
  // already installed at this lockfile (and checked then)
} else {
  console.log('real clients: installing @openai/codex and opencode-ai into test/real-clients (one time, ~800 MB)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  rmSync(marker, { force: true })
  try {
    // Not `npm ci`: the registry serves only the linux-x64 builds of opencode's per-platform
    // packages, so the lock lacks the others and `npm ci` refuses it; `npm install` keeps the
    // lock as it is and installs exactly its versions. --prefer-offline: the cache is enough
    // when it already holds them.
    execFileSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: 'inherit' })
  } catch (err) {
    console.warn(`real clients: install failed (${err.message}); their tests will report as skipped`)
  }
  const bad = problems()
  if (bad.length === 0) writeFileSync(marker, hash)
  else console.warn(`real clients: not usable, their tests will skip or fail:\n  ${bad.join('\n  ')}`)
}
