/** `npm run bench`: every benchmark, printed as tables. No assertions: numbers are for people. */
import { run as daemonBench } from './daemon-bench.js'
import { run as mintDurable } from './mint-durable.js'
import { run as gatewayBench } from './gateway-bench.js'
import { run as scaleBench } from './scale-bench.js'
import { benchDaemonCommand } from './daemon-proc.js'

// `npm run bench -- --quick`: fewer calls and rounds, for a fast look. `--src`: the daemon from the
// sources under tsx instead of dist/ (run `npm run build` first for the figures users get).
const quick = process.argv.includes('--quick')

const started = Date.now()
console.log(
  `opencode-multi-auth bench — node ${process.version}, ${new Date().toISOString()}, daemon from ${benchDaemonCommand().label}${quick ? ', quick' : ''}`,
)
await daemonBench()
await mintDurable()
await gatewayBench()
await scaleBench({ quick })
try {
  const codex = (await import('./codex-adopt.js')) as { run?: (o?: { changes?: number }) => Promise<void> }
  await codex.run?.(quick ? { changes: 5 } : {})
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err
}
const { run: usageBench } = await import('./usage-bench.js')
await usageBench()
console.log(`\nbench done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
