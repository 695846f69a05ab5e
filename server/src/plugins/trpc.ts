import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import type { FastifyError, FastifyInstance } from 'fastify'
import { fastifyErrorCode } from '../http-errors.js'
import { contextFromRequest, type Services } from '../trpc/context.js'
import { logServerFault } from '../trpc/errors.js'
import { errorHeaders } from '../trpc/response-meta.js'
import type { AppRouter } from '../trpc/router.js'

export interface TrpcPluginOptions {
  router: AppRouter
  services: Services
}

/** The tRPC door at `/trpc` (batching on). Encapsulated: its JSON parsing is its own. */
export async function trpcPlugin(app: FastifyInstance, { router, services }: TrpcPluginOptions) {
  // Errors Fastify raises before tRPC runs (body too large) still reach clients as tRPC errors.
  app.setErrorHandler((error, request, reply) => {
    const { status, code, message } = fastifyErrorCode(error as FastifyError)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.status(status).send({
      error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus: status } },
    })
  })

  const trpcOptions: FastifyTRPCPluginOptions<AppRouter>['trpcOptions'] = {
    router,
    allowBatching: true,
    maxBatchSize: 50,
    createContext: ({ req }) => contextFromRequest(services, 'trpc', req),
    responseMeta: ({ errors }) => ({ headers: errorHeaders(errors) }),
    onError: logServerFault,
  }
  await app.register(fastifyTRPCPlugin, { trpcOptions })
}
