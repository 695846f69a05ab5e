import type { TRPCError } from '@trpc/server'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fastifyTRPCOpenApiPlugin, type OpenAPIObject } from 'trpc-to-openapi'
import { type Context, contextFromRequest, type RestExchange, type Services } from '../trpc/context.js'
import { describeIssues, type ErrorShape, logServerFault } from '../trpc/error-shape.js'
import { errorResponseMeta } from '../trpc/response-meta.js'
import { type AppRouter, routeMetaByPath } from '../trpc/router.js'
import { restEvents } from './rest-events.js'

export interface RestDoorOptions {
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

/** A REST route of the contract: its method, and a pattern of its path under the door's prefix. */
interface RestRoute {
  method: string
  pattern: RegExp
  optionalBody: boolean
}

/** The routes of the route meta: `/{user_id}/tasks/{id}` matches `/api/alice/tasks/0b5c…`. */
function restRoutes(router: AppRouter, prefix: string): RestRoute[] {
  const routes: RestRoute[] = []
  for (const meta of routeMetaByPath(router).values()) {
    if (!meta.openapi) continue
    const path = meta.openapi.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')
    routes.push({
      method: meta.openapi.method,
      pattern: new RegExp(`^${prefix}${path}/?(?:\\?|$)`),
      optionalBody: meta.optionalBody === true,
    })
  }
  return routes
}

/** `Link: <…>; rel="next"` for the same query with the next cursor. */
function linkToNextPage(request: FastifyRequest, cursor: string): string {
  const url = new URL(request.originalUrl, `${request.protocol}://${request.host}`)
  url.searchParams.set('cursor', cursor)
  return `<${url.href}>; rel="next"`
}

/** The contract's error body, from tRPC's error shape. */
export function contractError({ message, data }: ErrorShape) {
  const { issues, request_id, current } = data
  return {
    code: data.code,
    message: issues ? describeIssues(issues) : message,
    ...(issues && { issues }),
    ...(current && { current }),
    ...(request_id && { request_id }),
  }
}

/** The adapter's error body carries tRPC's shape; REST clients get the contract's. */
function restErrorBody(payload: string): string {
  const body = JSON.parse(payload) as Partial<ErrorShape>
  return body.data ? JSON.stringify(contractError(body as ErrorShape)) : payload
}

/** The HTTP of one REST call: request headers in, the contract's response headers out. */
export class Exchange implements RestExchange {
  /** A success status other than the route's (a replayed create's 200). */
  status: number | undefined

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {}

  header(name: string): string | undefined {
    const value = this.request.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }

  nextPage(cursor: string): void {
    this.reply.header('link', linkToNextPage(this.request, cursor))
  }

  etag(version: number): void {
    this.reply.header('etag', `"${version}"`)
  }

  replayed(): void {
    this.status = 200
    this.reply.header('idempotent-replayed', 'true')
  }
}

/** Whether an `If-None-Match` list names `etag` (weak comparison, RFC 9110 §13.1.2). */
function noneMatch(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

/**
 * The REST door at `/api`: trpc-to-openapi over the same procedures, plus what the
 * contract asks of HTTP that the adapter does not do by itself.
 */
export async function restDoor(app: FastifyInstance, { router, services, document }: RestDoorOptions) {
  const routes = restRoutes(router, app.prefix)
  const takesNoBody = (request: FastifyRequest) =>
    routes.some((route) => route.optionalBody && route.method === request.method && route.pattern.test(request.url))
  // Where the contract lets the body be left out (`PATCH …/complete` toggles with none), an
  // empty body is no input; elsewhere an empty JSON body stays Fastify's 400.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && takesNoBody(request)) done(null, undefined)
    else parseJson(request, body as string, done)
  })
  app.addHook('preHandler', async (request, reply) => {
    // With no body at all the adapter would still ask for a JSON content type (415).
    if (request.body === undefined && request.headers['content-type'] === undefined && takesNoBody(request)) {
      request.headers['content-type'] = 'application/json'
    }
    // A path of the contract called with a method it does not have is 405, not 404.
    const methods: string[] = []
    for (const route of routes) {
      if (!route.pattern.test(request.url)) continue
      if (route.method === request.method) return
      methods.push(route.method)
    }
    if (methods.length > 0) {
      const allow = methods.join(', ')
      return reply
        .status(405)
        .header('allow', allow)
        .send({ code: 'METHOD_NOT_SUPPORTED', message: `${request.method} is not allowed here; use ${allow}` })
    }
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 204) {
      reply.removeHeader('content-type')
      return payload
    }
    // A conditional GET of a task the client has at this version: 304, no body.
    const ifNoneMatch = request.headers['if-none-match']
    if (ifNoneMatch !== undefined && reply.statusCode === 200 && request.method === 'GET') {
      const etag = reply.getHeader('etag')
      if (typeof etag === 'string' && noneMatch(ifNoneMatch, etag)) {
        reply.code(304).removeHeader('content-type')
        return ''
      }
    }
    return reply.statusCode >= 400 && typeof payload === 'string' ? restErrorBody(payload) : payload
  })

  app.get('/openapi.json', () => document)
  await app.register(restEvents, { router, services })

  const statuses = successStatuses(router)
  await app.register(fastifyTRPCOpenApiPlugin, {
    router,
    createContext: ({ req, res }: { req: FastifyRequest; res: FastifyReply }) =>
      contextFromRequest(services, 'rest', req, res, new Exchange(req, res)),
    responseMeta: ({
      ctx,
      paths,
      errors,
    }: {
      ctx?: Context
      paths?: readonly string[]
      errors: readonly TRPCError[]
    }) =>
      errors.length > 0
        ? errorResponseMeta(errors, 1)
        : {
            status: (ctx?.rest as Exchange | undefined)?.status ?? statuses.get(paths?.[0] ?? '') ?? 200,
            headers: {},
          },
    onError: logServerFault,
  })
}
