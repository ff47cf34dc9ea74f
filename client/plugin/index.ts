/**
 * opencode-multi-auth as an OpenCode plugin: `"plugin": ["opencode-multi-auth"]` in
 * opencode.json. A thin client of the daemon — it holds no store and refreshes nothing;
 * every request asks the daemon for a token and reports what the backend answered.
 *
 * OpenCode calls every export of a plugin module as a plugin (and rejects a non-function
 * export), so this module exports the plugin function and nothing else.
 */
import { resolveConfig } from './config.js'
import { buildHooks } from './hooks.js'
import type { Plugin, PluginOptions } from './opencode-types.js'

function optionString(options: PluginOptions | undefined, key: string): string | undefined {
  const v = options?.[key]
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** Options in opencode.json (`["opencode-multi-auth", {"socket": "..."}]`) override the environment. */
// OpenCode awaits the plugin function; async keeps a config error a rejection, not a throw.
// eslint-disable-next-line @typescript-eslint/require-await
export const OpencodeMultiAuth: Plugin = async (_input, options) => {
  const socket = optionString(options, 'socket')
  return buildHooks(resolveConfig(process.env, socket ? { socketPath: socket } : {}))
}

export default OpencodeMultiAuth
