/** Bumped when a change breaks an existing client; additions do not bump it. */
export const PROTOCOL_VERSION = 1

/** Kept equal to package.json's version (a test checks it). */
export const PACKAGE_VERSION = '0.1.0'
