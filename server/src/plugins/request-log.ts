import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import fp from 'fastify-plugin'
import type { RequestLogFields } from '../trpc/context.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The request log (Fastify's log controller), for routes that end a response themselves. */
    requestLog: RequestLog
  }
  interface FastifyRequest {
    /** What the request's log line says beyond HTTP: filled in by the tRPC middleware. */
    logFields: RequestLogFields
  }
}

/** One request as it completed: what its log line says, for whoever counts requests (metrics). */
export interface CompletedRequest {
  door: 'trpc' | 'rest' | 'service'
  procedure: string | undefined
  error: string | undefined
  status: number
  ms: number
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
 * caller, the error code if any, the status and the time it took. Observers (the metrics) see
 * each completed request too.
 * @see https://fastify.dev/docs/latest/Reference/Server/#factory-log-controller
 */
export class RequestLog extends LogController {
  private readonly observers: ((request: CompletedRequest) => void)[] = []

  constructor() {
    super({ requestIdLogLabel: 'request_id' })
  }

  /** Calls `observer` with every completed request. */
  observe(observer: (request: CompletedRequest) => void): void {
    this.observers.push(observer)
  }

  override incomingRequest(): void {}

  /** Also called by routes that take the response over (event streams), when they end. */
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const { procedure, user, error: code } = request.logFields ?? {}
    const url = request.originalUrl
    const completed: CompletedRequest = {
      door: doorOf(url),
      procedure,
      error: code,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    }
    const line = {
      method: request.method,
      url: loggedUrl(url),
      door: completed.door,
      ...(procedure && { procedure }),
      ...(user && { user }),
      ...(code && { error: code }),
      status: completed.status,
      ms: completed.ms,
    }
    if (error) request.log.error({ ...line, err: error }, 'request errored')
    else request.log.info(line, 'request')
    for (const observer of this.observers) observer(completed)
  }
}

/** `X-Request-Id` on every answer, and the fields the tRPC middleware fills in for the log line. */
export const requestLogPlugin = fp(
  async (app: FastifyInstance, { requestLog }: { requestLog: RequestLog }) => {
    app.decorate('requestLog', requestLog)
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
