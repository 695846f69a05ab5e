import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { SchemaBehindError } from './db/schema-check.js'
import { configOrExit } from './env.js'

const config = configOrExit()

const app = await buildApp(config).catch((error: unknown) => {
  if (!(error instanceof DataDirInUseError || error instanceof SchemaBehindError)) throw error
  console.error(error.message)
  process.exit(1)
})
// SIGTERM or SIGINT: drain, then exit; past 10 s, exit anyway.
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'shutting down after an uncaught error')
  else app.log.info({ signal }, 'draining: finishing the requests under way')
  app.startDraining()
  // Keep-alive connections go as soon as they are idle (Fastify closes the idle ones once,
  // when it starts closing; a connection whose last request ends later must go too).
  const idle = setInterval(() => app.server.closeIdleConnections(), 100)
  await app.close().finally(() => clearInterval(idle))
  app.log.info('drained')
})
await app.listen({ port: config.port, host: config.host })
