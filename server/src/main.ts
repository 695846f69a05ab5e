import { setFlagsFromString } from 'node:v8'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { configOrExit } from './env.js'

// Two V8 settings for a server's steady load, each measured with `pnpm bench` (README, Performance).
// Allocation-site pretenuring off: V8 moves a site's objects straight to the old generation
// once nearly all of them outlive a young-generation GC, and under load the rows of a list page
// looked so. The old generation then filled with dead rows (and the young strings they held) at
// ~2 MB per scavenge, scavenges took 5 ms instead of 2 and a full GC ran every 1.5 s; off, a
// list of 50 tasks serves ~20% more requests per second at ~40% lower p99.
setFlagsFromString('--no-allocation-site-pretenuring')
// The old generation grows to at most twice what survived the last full GC (V8 allows up to
// 4x): peak RSS under the mixed load ~150 MB instead of ~200, CPU and p99 the same (at 1.5x
// the p99 of the REST door doubled).
setFlagsFromString('--heap-growing-percent=100')

const config = configOrExit()

const app = await buildApp(config).catch((error: unknown) => {
  if (!(error instanceof DataDirInUseError)) throw error
  console.error(error.message)
  process.exit(1)
})
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'shutting down after an uncaught error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})
await app.listen({ port: config.port, host: config.host })
