import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { answerFastifyError } from '../doors/http-errors.js'

/** Every error Fastify itself answers (outside tRPC) gets the contract's JSON shape. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) =>
      answerFastifyError(error as FastifyError, request, reply, 'contract'),
    )
    app.setNotFoundHandler((request, reply) =>
      reply
        .status(404)
        .send({ code: 'NOT_FOUND', message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
    )
  },
  { name: 'errors' },
)
