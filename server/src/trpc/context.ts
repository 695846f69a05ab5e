import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { BuiltinIssuer } from '../auth/builtin-issuer.js'
import type { Identity } from '../auth/identity.js'
import type { UserProvisioner } from '../auth/provision.js'
import type { DB } from '../db/schema.js'
import type { EventHub, StreamConnection } from '../events/hub.js'
import type { LoginGuard } from './login-guard.js'
import type { Limiter } from './rate-limit.js'

/** What every request shares: built once per app. */
export interface Services {
  db: Kysely<DB>
  /** `Authorization` header → identity; throws `AuthError`. */
  authenticate: (authorization: string | undefined) => Promise<Identity>
  provisionUser: UserProvisioner
  /** Calls per caller and minute; absent when rate limiting is off. */
  rateLimiter: Limiter | undefined
  /** Budgets of password guessing at the built-in issuer. */
  loginGuard: LoginGuard
  /** The server's own issuer; absent when turned off. */
  issuer: BuiltinIssuer | undefined
  /** How long deletions stay in the change feed: an older sync cursor has expired. */
  syncRetentionSeconds: number
  /** The open event streams of this process and their doorbell. */
  events: EventHub
}

/** What a request's log line says beyond HTTP, filled in by the middleware: the procedure(s) it called (a batch names several), the verified caller, the error code. */
export interface RequestLogFields {
  procedure?: string
  user?: string
  /** The contract's code of the error answered (`NOT_FOUND`, …), when the call failed. */
  error?: string
}

/** Which door a call came through. */
export type Transport = 'trpc' | 'rest'

/**
 * What the REST door adds to a call: the request's headers, and the HTTP the contract asks of
 * an answer beyond its body.
 */
export interface RestExchange {
  /** A request header (lower-case name). */
  header(name: string): string | undefined
  /** Announces the next page of a list: `Link: <…>; rel="next"`. */
  nextPage(cursor: string): void
  /** The task answered is at this version: `ETag: "<version>"`. */
  etag(version: number): void
  /** A retried create found its task: 200 and `Idempotent-Replayed: true` instead of 201. */
  replayed(): void
}

export interface Context extends Services {
  log: FastifyBaseLogger
  transport: Transport
  /** The caller's identity, verified once per request however often it is asked for. */
  identity: () => Promise<Identity>
  clientIp: string
  /** The request's id (`X-Request-Id`), named in the body of a server fault. */
  requestId: string
  /** What the request's log line says of the call (procedure, caller). */
  logFields: RequestLogFields
  /** REST only: headers in, headers out. */
  rest?: RestExchange | undefined
  /** The connection the answer goes out on (an event stream watches it). */
  connection: StreamConnection
}

/** Context of a call at either door, from the Fastify request it arrived on. */
export function contextFromRequest(
  services: Services,
  transport: Transport,
  req: FastifyRequest,
  reply: FastifyReply,
  rest?: RestExchange,
): Context {
  let verified: Promise<Identity> | undefined
  const authorization = req.headers.authorization
  // Written out rather than spread: spreading the services took 2% of a call's CPU.
  return {
    db: services.db,
    authenticate: services.authenticate,
    provisionUser: services.provisionUser,
    rateLimiter: services.rateLimiter,
    loginGuard: services.loginGuard,
    issuer: services.issuer,
    syncRetentionSeconds: services.syncRetentionSeconds,
    events: services.events,
    log: req.log,
    transport,
    clientIp: req.ip,
    requestId: req.id,
    // Set by the request-log plugin; a bare Fastify app (tRPC's stock plugin in a test) has none.
    logFields: req.logFields ?? {},
    rest,
    connection: {
      buffered: () => reply.raw.writableLength,
      destroy: () => reply.raw.destroy(),
    },
    identity: () => {
      verified ??= services.authenticate(authorization)
      return verified
    },
  }
}
