import cors from '@fastify/cors'
import { migrateToLatest } from '@todo/migrations'
import Fastify, { type FastifyInstance } from 'fastify'
import pino from 'pino'
import { createBuiltinIssuer } from './auth/builtin-issuer.js'
import { jwksIssuer } from './auth/jwks-issuer.js'
import { createUserProvisioner } from './auth/provision.js'
import { cacheVerifiedTokens } from './auth/token-cache.js'
import { createAuthenticator, sharedSecretIssuer, type TrustedIssuer } from './auth/verify-token.js'
import { type Database, openDatabase } from './db/database.js'
import { checkSchemaAtStart } from './db/schema-check.js'
import { restDoor } from './doors/rest.js'
import { trpcDoor } from './doors/trpc.js'
import type { Config } from './env.js'
import { createEventHub } from './events/hub.js'
import { buildOpenApiDocument } from './openapi-document.js'
import { dbPlugin } from './plugins/db.js'
import { docsPlugin } from './plugins/docs.js'
import { drainPlugin } from './plugins/drain.js'
import { errorsPlugin } from './plugins/error-handler.js'
import { feedRetentionPlugin } from './plugins/feed-retention.js'
import { healthPlugin } from './plugins/health.js'
import { jwksPlugin } from './plugins/jwks.js'
import { metricsPlugin } from './plugins/metrics.js'
import { RequestLog, requestId, requestLogPlugin, serializers } from './plugins/request-log.js'
import { securityHeadersPlugin } from './plugins/security-headers.js'
import type { Services } from './trpc/context.js'
import { createLoginGuard, unguarded } from './trpc/login-guard.js'
import { createLimiters } from './trpc/rate-limit.js'
import { appRouter } from './trpc/router.js'

export interface BuildOptions {
  /** An open database owned by the caller (tests); otherwise the app opens and closes its own. */
  database?: Database
  /** Where the JSON log lines go; standard output by default. */
  logStream?: { write(line: string): void }
}

/**
 * Standard output, written synchronously: one `write(2)` per line, nothing lost when the
 * process dies. pino's default writes asynchronously through libuv's thread pool, a hop per
 * line that cost ~0.06 ms of CPU per request under load (`pnpm bench`, `get` at 32
 * connections: 0.34 ms per request against 0.27 ms written synchronously, the same as with no
 * request log). Whatever reads the output (a terminal, a container's log driver, a file) keeps up.
 */
const standardOutput = () => pino.destination({ dest: 1, sync: true })

/** Largest request body: a task is a few kB; batched tRPC calls need more. */
const BODY_LIMIT = 256 * 1024

/**
 * What every request shares, built once per app from the configuration: the database, the
 * token check, the built-in issuer, user provisioning, the rate limiter.
 */
export async function createServices(config: Config, database: Database, app: FastifyInstance): Promise<Services> {
  const { auth } = config
  const { log } = app
  const createLimiter = await createLimiters(app, { redisUrl: config.redisUrl })
  const issuer = auth.builtin && createBuiltinIssuer(database.db, auth.builtin)
  if (auth.builtin && !auth.builtin.signingKey && config.production) {
    log.warn('AUTH_SIGNING_KEY is not set: the built-in issuer signs with a key kept in the database')
  }
  // Judged by `iss` first; the shared secret takes the HS256 tokens no other issuer claims.
  const issuers: TrustedIssuer[] = []
  if (issuer) issuers.push(issuer.trusted)
  if (auth.jwks) issuers.push(jwksIssuer(auth.jwks))
  if (auth.jwtSecret) issuers.push(sharedSecretIssuer(auth.jwtSecret))
  if (issuers.length === 0) log.warn('No token issuer is trusted: every task call will answer 401')
  const events = createEventHub(database, {
    enabled: config.events,
    maxStreamsPerUser: config.eventsMaxStreamsPerUser,
    log,
  })
  app.addHook('onClose', () => events.close())

  return {
    db: database.db,
    authenticate: cacheVerifiedTokens(
      createAuthenticator(issuers, {
        refused: (detail) => log.debug({ detail }, 'token refused'),
        unavailable: (error) => log.warn({ err: error }, 'identity provider keys unavailable'),
      }),
    ),
    issuer: issuer || undefined,
    provisionUser: createUserProvisioner(database.db),
    rateLimiter:
      config.rateLimitPerMinute > 0
        ? createLimiter('calls', { max: config.rateLimitPerMinute, windowMs: 60_000 })
        : undefined,
    loginGuard: auth.builtin?.loginLimits ? createLoginGuard(createLimiter) : unguarded,
    syncRetentionSeconds: config.syncRetentionSeconds,
    events,
  }
}

/** The whole API as a Fastify instance, ready but not listening. */
export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const requestLog = new RequestLog()
  const app = Fastify({
    logger: { level: config.logLevel, serializers, stream: opts.logStream ?? standardOutput() },
    logController: requestLog,
    genReqId: requestId,
    // A request that reaches a closing server on a connection it already had is served (with
    // `Connection: close`), not refused: it had started before the drain.
    return503OnClosing: false,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    // Batched tRPC GETs put every procedure name in one path segment.
    routerOptions: { maxParamLength: 5000 },
  })

  if (!opts.database && config.database.kind === 'pglite') {
    app.log.info(
      config.database.dataDir
        ? `opening the embedded database in ${config.database.dataDir} (its first start creates it: a few seconds)`
        : 'starting an embedded database in memory (nothing is kept)',
    )
  }
  const database =
    opts.database ??
    (await openDatabase(config.database, {
      onIdleError: (error) => app.log.warn({ err: error }, 'idle database connection failed'),
      onPreparedStatementsRefused: (error) =>
        app.log.error(
          { err: error },
          'named prepared statements fail behind this database connection (a pooler without prepared-statement support, such as PgBouncer before 1.21 in transaction mode): set DATABASE_PREPARED_STATEMENTS=false; sending unnamed statements from now on',
        ),
    }))
  if (!opts.database) {
    if (database.embedded) await migrateToLatest(database.db)
    else await checkSchemaAtStart(database, { migrateOnStart: config.migrateOnStart, log: app.log })
  }

  const services = await createServices(config, database, app)

  await app.register(requestLogPlugin, { requestLog })
  await app.register(drainPlugin, { onDrain: () => services.events.drain() })
  await app.register(errorsPlugin)
  await app.register(securityHeadersPlugin)
  await app.register(cors, {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // What a browser app may send and read across origins: the bearer token, conditional
    // requests (If-Match, If-None-Match, ETag), event streams resumed by id, request ids.
    allowedHeaders: [
      'authorization',
      'content-type',
      'if-match',
      'if-none-match',
      'last-event-id',
      'trpc-accept',
      'x-request-id',
      'x-trpc-source',
    ],
    exposedHeaders: ['etag', 'idempotent-replayed', 'link', 'retry-after', 'www-authenticate', 'x-request-id'],
    maxAge: 600,
  })
  await app.register(dbPlugin, { database, close: !opts.database })
  await app.register(trpcDoor, { prefix: '/trpc', router: appRouter, services })
  await app.register(restDoor, {
    prefix: '/api',
    router: appRouter,
    services,
    document: buildOpenApiDocument(appRouter),
  })
  await app.register(healthPlugin)
  if (config.metrics) {
    await app.register(metricsPlugin, {
      requestLog,
      database,
      events: services.events,
      route: config.metrics.port === undefined,
    })
  }
  await app.register(feedRetentionPlugin, { retentionSeconds: config.syncRetentionSeconds })
  await app.register(jwksPlugin, { issuer: services.issuer })
  await app.register(docsPlugin, { specUrl: '/api/openapi.json' })
  await app.ready()
  return app
}
