import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { fastifyErrorCode } from '../doors/http-errors.js'

/** Every error Fastify itself answers (outside tRPC) gets the contract's JSON shape. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) => {
      const { status, code, message } = fastifyErrorCode(error as FastifyError)
      if (status >= 500) request.log.error({ err: error }, 'request failed')
      return reply.status(status).send({ code, message })
    })
    app.setNotFoundHandler((request, reply) =>
      reply
        .status(404)
        .send({ code: 'NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
    )
  },
  { name: 'errors' },
)
