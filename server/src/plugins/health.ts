import { schemaState } from '@todo/migrations'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

const UNAVAILABLE = { status: 'unavailable', code: 'SERVICE_UNAVAILABLE' } as const

/**
 * The probes: `GET /health` (200 when the database answers), `GET /livez` (200 while the
 * process runs) and `GET /readyz` (200 only when the database answers, its schema is this
 * code's and the server is not draining; 503 with the reason otherwise).
 */
export const healthPlugin = fp(
  async (app: FastifyInstance) => {
    app.get('/health', async (request, reply) => {
      try {
        await app.database.ping()
        return { status: 'ok', database: 'ok' }
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unavailable')
        return reply
          .status(503)
          .send({ ...UNAVAILABLE, database: 'unreachable', message: 'The database is unavailable' })
      }
    })

    app.get('/livez', async () => ({ status: 'ok' }))

    app.get('/readyz', async (request, reply) => {
      if (app.draining) return reply.status(503).send({ ...UNAVAILABLE, reason: 'draining', message: 'Shutting down' })
      let pending: string[]
      try {
        pending = (await app.database.withTimeout(schemaState(app.database.db))).pending
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: database unavailable')
        return reply.status(503).send({ ...UNAVAILABLE, reason: 'database', message: 'The database is unavailable' })
      }
      if (pending.length > 0) {
        return reply.status(503).send({
          ...UNAVAILABLE,
          reason: 'schema',
          message: `The database is ${pending.length} migration(s) behind this code: run \`pnpm db:migrate\` (from a build: \`node dist/cli/migrate.js latest\`)`,
        })
      }
      return { status: 'ok', database: 'ok', schema: 'current' }
    })
  },
  { name: 'health', dependencies: ['db', 'drain'] },
)
