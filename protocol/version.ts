/** Bumped when a change breaks an existing client; additions do not bump it. */
export const PROTOCOL_VERSION = 1
