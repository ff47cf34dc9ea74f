/**
 * Installs a packed tarball into a fresh project without the network: the lockfile
 * of that project is written from ours (the runtime entries only, the ones a user's
 * `npm install` would fetch), so `npm ci --offline` takes every dependency from the
 * npm cache that our own `npm ci` filled. The tarball's package.json decides what is
 * a runtime dependency; a package it needs but does not declare is missing here,
 * exactly as it would be for a user.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

interface LockEntry {
  dev?: boolean
  [key: string]: unknown
}

interface PackedManifest {
  name: string
  version: string
  license?: string
  dependencies?: Record<string, string>
  bin?: Record<string, string>
  engines?: Record<string, string>
}

/** npm's own variables from a parent `npm test` would steer the child npm (package, lifecycle). */
export function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/i.test(k)) continue
    env[k] = v
  }
  return env
}

export function installOffline(opts: { root: string; tarball: string; manifest: PackedManifest; into: string }): void {
  mkdirSync(opts.into, { recursive: true })
  const file = basename(opts.tarball)
  copyFileSync(opts.tarball, join(opts.into, file))
  const lock = JSON.parse(readFileSync(join(opts.root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>
  }
  const m = opts.manifest
  const spec = `file:${file}`
  const packages: Record<string, unknown> = {
    '': { name: 'pack-probe', dependencies: { [m.name]: spec } },
    [`node_modules/${m.name}`]: {
      version: m.version,
      resolved: spec,
      license: m.license,
      dependencies: m.dependencies,
      bin: m.bin,
      engines: m.engines,
    },
  }
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true || !path.startsWith('node_modules/')) continue
    packages[path] = entry
  }
  writeFileSync(
    join(opts.into, 'package.json'),
    JSON.stringify({ name: 'pack-probe', private: true, dependencies: { [m.name]: spec } }),
  )
  writeFileSync(
    join(opts.into, 'package-lock.json'),
    JSON.stringify({ name: 'pack-probe', lockfileVersion: 3, requires: true, packages }),
  )
  execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: opts.into,
    env: npmEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}
