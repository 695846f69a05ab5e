import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's log line says beyond HTTP: filled in by the tRPC middleware. */
    logFields: RequestLogFields
  }
}

/** The procedure(s) a request called (a batch names several) and the verified caller. */
export interface RequestLogFields {
  procedure?: string
  user?: string
}

/** A request id a caller may choose: short, and of characters safe in a log and a header. */
const SANE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when it is sane (a balancer's or another
 * service's, so that one id follows the request through every log), otherwise a new uuid.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
}

/** Query parameters that may carry a credential: their values never reach the log. */
const SECRET_PARAMS = /([?&](?:[^=&]*(?:token|password|secret|key|auth|session|code)[^=&]*)=)[^&]*/gi

/** The URL as logged: credentials in the query string blanked. */
export function loggedUrl(url: string): string {
  return url.includes('?') ? url.replace(SECRET_PARAMS, '$1[redacted]') : url
}

/** Fastify's logger serialisers: no headers at all (so no Authorization or cookie), a redacted URL. */
export const serializers = {
  req: (request: FastifyRequest) => ({ method: request.method, url: loggedUrl(request.url) }),
}

function doorOf(url: string): 'trpc' | 'rest' | 'service' {
  if (url.startsWith('/trpc/')) return 'trpc'
  if (url.startsWith('/api/')) return 'rest'
  return 'service'
}

/**
 * Fastify's request log lines, replaced by one JSON line per request that carries its id: its
 * door, the procedure(s) it called (the tRPC door serves every procedure from one route), the
 * caller, the status and the time it took.
 * @see https://fastify.dev/docs/latest/Reference/Server/#factory-log-controller
 */
export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' })
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    logRequest(request, reply, error)
  }
}

/** The one log line of a request (also written by routes that take the response over, such as event streams). */
export function logRequest(request: FastifyRequest, reply: FastifyReply, error?: Error | null): void {
  const { procedure, user } = request.logFields ?? {}
  const url = request.originalUrl
  const line = {
    method: request.method,
    url: loggedUrl(url),
    door: doorOf(url),
    ...(procedure && { procedure }),
    ...(user && { user }),
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 100) / 100,
  }
  if (error) request.log.error({ ...line, err: error }, 'request errored')
  else request.log.info(line, 'request')
}

/** `X-Request-Id` on every answer, and the fields the tRPC middleware fills in for the log line. */
export const requestLogPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('logFields', null as unknown as RequestLogFields)
    app.addHook('onRequest', async (request, reply) => {
      // Read now, before the REST adapter rewrites `url` under its prefix: `originalUrl` keeps it.
      void request.originalUrl
      request.logFields = {}
      reply.header('x-request-id', request.id)
    })
  },
  { name: 'request-log' },
)
