import type { FastifyInstance } from 'fastify'

/** `GET /health`: 200 when the database answers, 503 when it does not. */
export async function healthPlugin(app: FastifyInstance) {
  app.get('/health', async (request, reply) => {
    try {
      await app.database.ping()
      return { status: 'ok', database: 'ok' }
    } catch (error) {
      request.log.warn({ err: error }, 'health check: database unavailable')
      return reply.status(503).send({
        status: 'unavailable',
        database: 'unreachable',
        code: 'SERVICE_UNAVAILABLE',
        message: 'The database is unavailable',
      })
    }
  })
}
