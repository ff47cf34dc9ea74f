import type { Handlers } from '../server/dispatch.js'
import type { Components } from './context.js'

export function settingsHandlers(c: Components) {
  return {
    'settings.get': () => c.settings.get(),
    'settings.update': (patch) => c.settings.update(patch),
    'settings.reset': () => c.settings.reset(),
    'settings.applyPreset': ({ preset }) => c.settings.applyPreset(preset),
  } satisfies Partial<Handlers>
}
