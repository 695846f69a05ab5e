import { type FastifyTRPCPluginOptions, fastifyRequestHandler } from '@trpc/server/adapters/fastify'
import { resolveResponse } from '@trpc/server/http'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
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

  // What fastifyTRPCPlugin registers, with a leaner path for plain JSON calls (below).
  // @see https://github.com/trpc/trpc/blob/main/packages/server/src/adapters/fastify/fastifyTRPCPlugin.ts
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  app.removeContentTypeParser('multipart/form-data')
  app.addContentTypeParser('multipart/form-data', {}, (_request, body, done) => done(null, body))
  app.all<{ Params: { path: string } }>('/:path', async (req, reply) => {
    const path = req.params.path
    if (!isPlainCall(req)) return fastifyRequestHandler({ ...trpcOptions, req, res: reply, path })
    const response = await resolveResponse({
      ...trpcOptions,
      path,
      req: leanRequest(req, reply),
      error: null,
      createContext: async () => contextFromRequest(services, 'trpc', req),
      onError: (opts) => logServerFault({ ...opts, req }),
    })
    if (!response.headers.get('content-type')?.startsWith('application/json')) return reply.send(response)
    reply.status(response.status)
    for (const [name, value] of response.headers) reply.header(name, value)
    return reply.send(response.body === null ? undefined : await response.text())
  })
}

/**
 * A query or mutation with a JSON body or none, answered with JSON: what the tRPC clients'
 * HTTP links send. Streams (`trpc-accept: application/jsonl`), subscriptions (SSE) and
 * form data take the adapter's own path.
 */
function isPlainCall(req: FastifyRequest): boolean {
  const type = req.headers['content-type']
  return (
    (req.method === 'GET' || req.method === 'POST') &&
    (type === undefined || type.startsWith('application/json')) &&
    req.headers['trpc-accept'] === undefined &&
    !req.headers.accept?.includes('text/event-stream')
  )
}

/**
 * The part of a Fetch `Request` that tRPC reads for a plain call. The adapter builds a full
 * one (headers copied into a `Headers`, a body stream, an AbortSignal that follows another)
 * and Fastify then streams the `Response` back in chunks; the profile of the tRPC door had
 * that glue at ~12% of the server's CPU. The signal still aborts when the client goes away.
 */
function leanRequest(req: FastifyRequest, reply: FastifyReply): Request {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort()
  })
  const header = (name: string) => {
    const value = req.headers[name.toLowerCase()]
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
  }
  const lean: Pick<Request, 'method' | 'url' | 'signal' | 'text'> & { headers: Pick<Headers, 'get' | 'has'> } = {
    method: req.method,
    url: `${req.protocol}://${req.host}${req.url}`,
    headers: { get: header, has: (name) => header(name) !== null },
    signal: controller.signal,
    text: async () => (typeof req.body === 'string' ? req.body : ''),
  }
  return lean as Request
}
