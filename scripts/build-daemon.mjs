// The daemon as it runs: one ES module bundle of daemon/main.ts and the libraries it uses
// (docs/performance.md, "Memory and start"), written over tsc's dist/daemon/main.js so every
// way of starting it (the bin, the launcher, the service units, `npm start`) runs the same
// file at the same path. What daemon/lazy/ imports at first use stays in chunks beside it
// (dist/daemon/chunks/), out of the start. The rest of dist/ is tsc's, for the plugin and CLI.
//
// Why a bundle: loaded as ~200 separate modules, the start pays a resolve, a read and a compile
// per file and keeps each file's text; tree-shaken and minified, zod drops its locales and the
// heap keeps a fraction of the text. Whitespace and syntax are minified, names are not, so a
// stack trace still names its functions; main.js.map maps it back to the sources
// (`node --enable-source-maps`).
import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')

/** esbuild's options for the daemon bundle; `write: false` with a metafile is what the start-graph test reads. */
export function daemonBundleOptions(overrides = {}) {
  return {
    absWorkingDir: root,
    entryPoints: [join(root, 'daemon', 'main.ts')],
    outdir: join(root, 'dist', 'daemon'),
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'external',
    // The CommonJS libraries (winston, proper-lockfile, chokidar's deps) require Node's builtins;
    // an ES module has no `require` of its own.
    banner: {
      js: "import { createRequire as __omaRequire } from 'node:module'; const require = __omaRequire(import.meta.url);",
    },
    logLevel: 'warning',
    ...overrides,
  }
}

export async function buildDaemon() {
  const esbuild = await import('esbuild')
  // Chunk names carry a content hash: without this, every build would leave the last one's behind.
  rmSync(join(root, 'dist', 'daemon', 'chunks'), { recursive: true, force: true })
  await esbuild.build(daemonBundleOptions())
  // `npm start` goes on to run the daemon in this process: esbuild's service child must not stay with it.
  await esbuild.stop()
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildDaemon()
