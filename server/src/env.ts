import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { isAbsolute, join, resolve } from 'node:path'
import type { JWK } from 'jose'
import { z } from 'zod'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Where the data lives, from `DATABASE_URL` (and, for PostgreSQL, how the server talks to it). */
export type DatabaseConfig =
  | {
      kind: 'postgres'
      url: string
      /** Connections of this process's pool (10). */
      poolMax?: number
      /** Named (server-side) prepared statements (the default), or unnamed ones for poolers without support. */
      preparedStatements?: boolean
      /** A direct (unpooled) URL for the listening connection of live events; `url` when absent. */
      listenUrl?: string | undefined
    }
  | { kind: 'pglite'; dataDir: string | undefined }

type Location = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | undefined }

function parseDatabaseUrl(value: string, ctx: z.RefinementCtx): Location {
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value }
  if (value === 'memory://') return { kind: 'pglite', dataDir: undefined }
  if (value.startsWith('file:') && value.length > 'file:'.length) {
    const dir = value.slice('file:'.length)
    // Relative to where the command was typed (pnpm runs scripts inside the package folder).
    const base = process.env.INIT_CWD ?? process.cwd()
    return { kind: 'pglite', dataDir: isAbsolute(dir) ? dir : resolve(base, dir) }
  }
  ctx.addIssue({ code: 'custom', message: 'must be postgres://…, file:<dir> or memory://' })
  return z.NEVER
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))

const origins = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine((origin) => origin === '*' || isOrigin(origin), {
        message: 'must be a comma-separated list of origins such as https://app.example.com, or *',
      }),
    ),
  )

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}

/** Asymmetric JWS algorithms an external issuer may be allowed (never `none` or HMAC). */
const ASYMMETRIC_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
)

/** `3600`, `90s`, `15m`, `1h`, `7d` → seconds, between `min` and `max` seconds. */
const duration = (min: { seconds: number; text: string }, max: { seconds: number; text: string }) =>
  z
    .string()
    .regex(/^\d+\s*[smhd]?$/, 'must be a number of seconds or a duration such as 15m, 1h, 7d')
    .transform((value) => {
      const unit = value.at(-1) ?? ''
      const seconds = { s: 1, m: 60, h: 3600, d: 86_400 }[unit]
      return seconds ? Number.parseInt(value, 10) * seconds : Number(value)
    })
    .pipe(z.number().min(min.seconds, `must be at least ${min.text}`).max(max.seconds, `must be at most ${max.text}`))

const MINUTE = { seconds: 60, text: 'a minute' }
const HOUR = { seconds: 3600, text: 'an hour' }
const DAYS_30 = { seconds: 30 * 86_400, text: '30 days' }
const DAYS_365 = { seconds: 365 * 86_400, text: '365 days' }

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'], 'must be true or false')
    .default(fallback)
    .transform((value) => value === 'true')

/** Names proxy-addr knows for whole address ranges. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** An IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or a named range. */
function isProxyAddress(value: string): boolean {
  if (PROXY_RANGES.has(value)) return true
  const [address = '', prefix, ...rest] = value.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)
}

const privateJwk = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON Web Key (see `pnpm auth:keygen`)' })
      return z.NEVER
    }
  })
  .pipe(
    z.looseObject(
      { kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), d: z.string(), kid: z.string().optional() },
      {
        error: 'must be a private Ed25519 JSON Web Key (see `pnpm auth:keygen`)',
      },
    ),
  )

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: integer(0, 65535).default(8000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATABASE_URL: z.string().default('file:./.data').transform(parseDatabaseUrl),
    DATABASE_POOL_MAX: integer(1, 1000).default(10),
    DATABASE_LISTEN_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (the direct, unpooled one)')
      .optional(),
    DATABASE_PREPARED_STATEMENTS: flag('true'),
    MIGRATE_ON_START: flag('false'),
    SYNC_RETENTION: duration(HOUR, DAYS_365).default(30 * 86_400),
    EVENTS: flag('true'),
    EVENTS_MAX_STREAMS_PER_USER: integer(1, 10_000).default(20),
    METRICS: flag('false'),
    METRICS_PORT: integer(1, 65535).optional(),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    AUTH_JWT_SECRET: z
      .string()
      .refine((secret) => Buffer.byteLength(secret, 'utf8') >= 32, 'must be at least 32 bytes')
      .optional(),
    AUTH_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    AUTH_ISSUER: z.string().min(1).optional(),
    AUTH_AUDIENCE: list.pipe(z.array(z.string()).min(1, 'must name at least one audience')).optional(),
    AUTH_ALGORITHMS: list
      .pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS, `must be among ${ASYMMETRIC_ALGORITHMS.join(', ')}`)).min(1))
      .default(['EdDSA']),
    AUTH_BUILTIN: flag('true'),
    AUTH_SIGNING_KEY: privateJwk.optional(),
    AUTH_TOKEN_TTL: duration(MINUTE, DAYS_30).default(3600),
    AUTH_LOGIN_LIMITS: flag('true'),
    CORS_ORIGINS: origins.default(['http://localhost:3000']),
    TRUST_PROXY: list
      .transform((items) => (items.length === 1 && items[0] === 'false' ? [] : items))
      .pipe(
        z.array(
          z
            .string()
            .refine(
              isProxyAddress,
              "must be the proxies' addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated: `true` or a hop count would let any client choose its address with X-Forwarded-For",
            ),
        ),
      )
      .default([]),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    RATE_LIMIT_PER_MINUTE: integer(0, 1_000_000_000).default(1000),
  })
  .superRefine((env, ctx) => {
    // An external issuer is trusted only with its issuer and audience pinned.
    const external = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const
    if (external.some((name) => env[name] !== undefined)) {
      for (const name of external) {
        if (env[name] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `must be set with ${external.filter((n) => n !== name).join(' and ')}`,
          })
        }
      }
    }
  })

/** Never echoed in an error: they may hold credentials. */
const SECRET = new Set(['DATABASE_URL', 'DATABASE_LISTEN_URL', 'AUTH_JWT_SECRET', 'AUTH_SIGNING_KEY', 'REDIS_URL'])

/** The server's configuration: read once, at start, from the environment. */
export interface Config {
  production: boolean
  port: number
  host: string
  database: DatabaseConfig
  auth: {
    jwtSecret: string | undefined
    jwks: { jwksUrl: string; issuer: string; audience: string[]; algorithms: string[] } | undefined
    builtin: { signingKey: JWK | undefined; tokenTtlSeconds: number; loginLimits: boolean } | undefined
  }
  /** Migrate a PostgreSQL database at start (single-instance deployments). */
  migrateOnStart: boolean
  /** How long deletions stay in the change feed (seconds); an older sync cursor is 410. */
  syncRetentionSeconds: number
  /** Prometheus metrics: off, on the API's port (`/metrics`), or on a port of their own. */
  metrics: { port: number | undefined } | undefined
  /** Live events: streams, and the doorbell every write rings (off: neither; the feed stays). */
  events: boolean
  /** Open event streams a user may have on one instance; 429 beyond. */
  eventsMaxStreamsPerUser: number
  /** Shared state (rate limits) across instances; in memory when absent. */
  redisUrl: string | undefined
  corsOrigins: string[]
  /** Proxies whose X-Forwarded-* headers are believed: addresses and CIDR ranges (none by default). */
  trustProxy: string[]
  logLevel: (typeof LOG_LEVELS)[number]
  /** Requests per minute per caller; 0 turns the limit off. */
  rateLimitPerMinute: number
}

/** A bad environment: `message` is one line naming each offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses the environment (empty values count as unset). Throws `ConfigError`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0])
      const shown = SECRET.has(name) || env[name] === undefined ? '' : ` (got ${JSON.stringify(env[name])})`
      return `${name} ${issue.message}${shown}`
    })
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`)
  }
  const e = parsed.data
  return {
    production: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    database:
      e.DATABASE_URL.kind === 'postgres'
        ? {
            ...e.DATABASE_URL,
            poolMax: e.DATABASE_POOL_MAX,
            preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
            listenUrl: e.DATABASE_LISTEN_URL,
          }
        : e.DATABASE_URL,
    migrateOnStart: e.MIGRATE_ON_START,
    syncRetentionSeconds: e.SYNC_RETENTION,
    events: e.EVENTS,
    eventsMaxStreamsPerUser: e.EVENTS_MAX_STREAMS_PER_USER,
    metrics: e.METRICS ? { port: e.METRICS_PORT } : undefined,
    redisUrl: e.REDIS_URL,
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      jwks:
        e.AUTH_JWKS_URL && e.AUTH_ISSUER && e.AUTH_AUDIENCE
          ? {
              jwksUrl: e.AUTH_JWKS_URL,
              issuer: e.AUTH_ISSUER,
              audience: e.AUTH_AUDIENCE,
              algorithms: e.AUTH_ALGORITHMS,
            }
          : undefined,
      builtin: e.AUTH_BUILTIN
        ? {
            signingKey: e.AUTH_SIGNING_KEY as JWK | undefined,
            tokenTtlSeconds: e.AUTH_TOKEN_TTL,
            loginLimits: e.AUTH_LOGIN_LIMITS,
          }
        : undefined,
    },
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
  }
}

/**
 * Loads `.env` from the folder the command was typed in, when there is one. Variables
 * already set in the environment win.
 */
export function loadDotEnv(): void {
  const file = join(process.env.INIT_CWD ?? process.cwd(), '.env')
  if (existsSync(file)) process.loadEnvFile(file)
}

/** For entry points: `.env`, then the configuration, or one line on stderr and exit code 1. */
export function configOrExit(): Config {
  loadDotEnv()
  try {
    return loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}
