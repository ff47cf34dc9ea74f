import type { BuildOptions } from 'esbuild'

/** esbuild's options for the daemon bundle, with `overrides` applied. */
export function daemonBundleOptions(overrides?: BuildOptions): BuildOptions
/** Builds dist/daemon/main.js and its chunks (after tsc: it replaces tsc's main.js). */
export function buildDaemon(): Promise<void>
