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
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'shutting down after an uncaught error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})
await app.listen({ port: config.port, host: config.host })
