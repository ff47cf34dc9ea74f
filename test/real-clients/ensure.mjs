// Installs the real Codex CLI and OpenCode (test-only, pinned in this folder's
// package-lock.json) before `npm test`, once: a marker holds the lockfile's hash.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = dirname(fileURLToPath(import.meta.url))
const marker = join(dir, 'node_modules', '.installed-lock-hash')
const lock = readFileSync(join(dir, 'package-lock.json'))
const hash = createHash('sha256').update(lock).digest('hex')

if (process.env.OPENCODE_MULTI_AUTH_SKIP_REAL_CLIENTS === '1') {
  console.log('real clients: skipped (OPENCODE_MULTI_AUTH_SKIP_REAL_CLIENTS=1); their tests will report as skipped')
} else if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) {
  // already installed at this lockfile
} else {
  console.log('real clients: installing @openai/codex and opencode-ai into test/real-clients (one time, ~600 MB)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  // Not `npm ci`: the registry serves only the linux-x64 builds of opencode's per-platform
  // packages, so the lock lacks the others and `npm ci` refuses it; `npm install` keeps the
  // lock as it is and installs exactly its versions.
  execFileSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' })
  writeFileSync(marker, hash)
}
