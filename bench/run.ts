/** `npm run bench`: every benchmark, printed as tables. No assertions: numbers are for people. */
import { run as daemonBench } from './daemon-bench.js'

const started = Date.now()
console.log(`opencode-multi-auth bench — node ${process.version}, ${new Date().toISOString()}`)
await daemonBench()
try {
  const codex = (await import('./codex-adopt.js')) as { run?: () => Promise<void> }
  await codex.run?.()
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err
}
const { run: usageBench } = await import('./usage-bench.js')
await usageBench()
console.log(`\nbench done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
