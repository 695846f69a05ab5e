import { createServer, type Server } from 'node:http'
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

// METRICS_PORT: the metrics on a port of their own, so that the API's port need not show them.
let metrics: Server | undefined
const registry = app.metrics
if (config.metrics?.port !== undefined && registry) {
  metrics = createServer(async (request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics())
  })
}

// SIGTERM or SIGINT: drain, then exit; past 10 s, exit anyway.
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'shutting down after an uncaught error')
  else app.log.info({ signal }, 'draining: finishing the requests under way')
  app.startDraining()
  // Keep-alive connections go as soon as they are idle (Fastify closes the idle ones once,
  // when it starts closing; a connection whose last request ends later must go too).
  const idle = setInterval(() => app.server.closeIdleConnections(), 100)
  await app.close().finally(() => clearInterval(idle))
  await new Promise((resolve) => (metrics ? metrics.close(resolve) : resolve(undefined)))
  app.log.info('drained')
})

const address = await app.listen({ port: config.port, host: config.host })
app.log.info(`Todo API ready at ${address}: interactive docs at ${address}/docs, health at ${address}/readyz`)
metrics?.listen(config.metrics?.port, config.host, () =>
  app.log.info(`metrics at http://${config.host}:${config.metrics?.port}/metrics`),
)
