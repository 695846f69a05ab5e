import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { BuiltinIssuer } from '../auth/builtin-issuer.js'
import type { Identity } from '../auth/identity.js'
import type { LoginGuard } from '../auth/login-guard.js'
import type { UserProvisioner } from '../auth/provision.js'
import type { DB } from '../db/schema.js'
import type { RequestLogFields } from '../plugins/request-log.js'
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
}

/** Which door a call came through. */
export type Transport = 'trpc' | 'rest'

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
  /** REST only: announces the next page of a list (the `Link: rel="next"` header). */
  nextPage?: (cursor: string) => void
}

export interface InnerContextOptions {
  services: Services
  log: FastifyBaseLogger
  transport: Transport
  authorization: string | undefined
  clientIp: string
  requestId: string
  logFields: RequestLogFields
  nextPage?: (cursor: string) => void
}

/** The context without Fastify: what `createCaller` in tests and both adapters build on. */
export function createInnerContext(opts: InnerContextOptions): Context {
  let verified: Promise<Identity> | undefined
  const { services, authorization } = opts
  // Written out rather than spread: spreading the two objects took 2% of a call's CPU.
  return {
    db: services.db,
    authenticate: services.authenticate,
    provisionUser: services.provisionUser,
    rateLimiter: services.rateLimiter,
    loginGuard: services.loginGuard,
    issuer: services.issuer,
    log: opts.log,
    transport: opts.transport,
    clientIp: opts.clientIp,
    requestId: opts.requestId,
    logFields: opts.logFields,
    nextPage: opts.nextPage,
    identity: () => {
      verified ??= services.authenticate(authorization)
      return verified
    },
  }
}

/** Context of a call at either door, from the Fastify request it arrived on. */
export function contextFromRequest(
  services: Services,
  transport: Transport,
  req: FastifyRequest,
  nextPage?: (cursor: string) => void,
): Context {
  return createInnerContext({
    services,
    log: req.log,
    transport,
    authorization: req.headers.authorization,
    clientIp: req.ip,
    requestId: req.id,
    // Set by the request-log plugin; a bare Fastify app (tRPC's stock plugin in a test) has none.
    logFields: req.logFields ?? {},
    ...(nextPage && { nextPage }),
  })
}
