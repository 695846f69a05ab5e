import type { TRPCError } from '@trpc/server'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fastifyTRPCOpenApiPlugin, type OpenAPIObject } from 'trpc-to-openapi'
import { contextFromRequest, type Services } from '../trpc/context.js'
import { describeIssues, type ErrorShape, logServerFault } from '../trpc/errors.js'
import { errorHeaders } from '../trpc/response-meta.js'
import { type AppRouter, routeMetaByPath } from '../trpc/router.js'

export interface OpenApiPluginOptions {
  router: AppRouter
  services: Services
  document: OpenAPIObject
}

/** REST success statuses other than 200, by procedure path, from the route meta. */
function successStatuses(router: AppRouter): Map<string, number> {
  const statuses = new Map<string, number>()
  for (const [path, meta] of routeMetaByPath(router)) {
    if (meta.successStatus) statuses.set(path, meta.successStatus)
  }
  return statuses
}

/** `Link: <…>; rel="next"` for the same query with the next cursor. */
function linkToNextPage(request: FastifyRequest, cursor: string): string {
  const url = new URL(request.originalUrl, `${request.protocol}://${request.host}`)
  url.searchParams.set('cursor', cursor)
  return `<${url.href}>; rel="next"`
}

/** The adapter's error body carries tRPC's shape; REST clients get the contract's. */
function restErrorBody(payload: string): string {
  const body = JSON.parse(payload) as Partial<ErrorShape> & { code?: unknown; message?: unknown }
  if (!body.data) return payload
  const { issues } = body.data
  return JSON.stringify({
    code: body.data.code,
    message: issues ? describeIssues(issues) : body.message,
    ...(issues && { issues }),
  })
}

/**
 * The REST door at `/api`: trpc-to-openapi over the same procedures, plus what the
 * contract asks of HTTP that the adapter does not do by itself.
 */
export async function openApiPlugin(app: FastifyInstance, { router, services, document }: OpenApiPluginOptions) {
  // The adapter rewrites the request URL; reading `originalUrl` now memoizes it for `Link`.
  app.addHook('onRequest', async (request) => {
    void request.originalUrl
  })
  // An empty body is no input (`PATCH …/complete` toggles with no body at all).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined)
    else parseJson(request, body as string, done)
  })
  // With no body the adapter would still ask for a JSON content type (415).
  app.addHook('preHandler', async (request) => {
    if (request.body === undefined && request.headers['content-type'] === undefined) {
      request.headers['content-type'] = 'application/json'
    }
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 204) {
      reply.removeHeader('content-type')
      return payload
    }
    return reply.statusCode >= 400 && typeof payload === 'string' ? restErrorBody(payload) : payload
  })

  app.get('/openapi.json', () => document)

  const statuses = successStatuses(router)
  await app.register(fastifyTRPCOpenApiPlugin, {
    router,
    createContext: ({ req, res }: { req: FastifyRequest; res: FastifyReply }) =>
      contextFromRequest(services, 'rest', req, (cursor) => {
        res.header('link', linkToNextPage(req, cursor))
      }),
    responseMeta: ({ paths, errors }: { paths: readonly string[] | undefined; errors: readonly TRPCError[] }) =>
      errors.length > 0
        ? { headers: errorHeaders(errors) }
        : { status: statuses.get(paths?.[0] ?? '') ?? 200, headers: {} },
    onError: logServerFault,
  })
}
