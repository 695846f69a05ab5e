import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'

/** Refused by a rate limiter: try again after `retryAfterSeconds`. */
export class RateLimitError extends Error {
  override name = 'RateLimitError'
  constructor(
    readonly retryAfterSeconds: number,
    message = `Rate limit exceeded; retry after ${retryAfterSeconds} s`,
  ) {
    super(message)
  }
}

/** One budget: `max` uses per `windowMs` for each key. */
export interface Limiter {
  /** Counts one use of `key`; throws `RateLimitError` past the budget. */
  take(key: string): Promise<void>
  /** Throws `RateLimitError` when `key` is already past its budget; counts nothing. */
  check(key: string): Promise<void>
}

export type CreateLimiter = (name: string, budget: { max: number; windowMs: number }) => Limiter

/** What `@fastify/rate-limit`'s key generator is given here: the key itself. */
interface KeyedCall {
  key: string
  routeOptions: FastifyRequest['routeOptions']
}

/**
 * Budgets kept by `@fastify/rate-limit` (fixed windows): in this process's memory, or in
 * Redis when `redisUrl` is set, so that every instance behind a balancer shares them. A
 * Redis that does not answer lets calls through (`skipOnError`) rather than failing them; the
 * client logs its reconnection attempts.
 *
 * The plugin's `createRateLimit` is documented for a `FastifyRequest`; it reads the request
 * only through the key generator and `routeOptions.config`, so the limiters here pass the
 * key itself, and tRPC middleware can count what only a procedure knows (the verified user).
 * @see https://github.com/fastify/fastify-rate-limit#custom-rate-limiter
 */
export async function createLimiters(
  app: FastifyInstance,
  { redisUrl }: { redisUrl: string | undefined },
): Promise<CreateLimiter> {
  const redis = redisUrl
    ? new Redis(redisUrl, { connectTimeout: 2000, commandTimeout: 1000, maxRetriesPerRequest: 1 })
    : undefined
  if (redis) {
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis (shared rate limits) unavailable'))
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
  }
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    cache: 20_000,
    nameSpace: 'todo-rate-',
    keyGenerator: (call) => (call as unknown as KeyedCall).key,
    ...(redis && { redis }),
  })
  return (name, { max, windowMs }) => {
    const limit = app.createRateLimit({ max, timeWindow: windowMs })
    const run = async (key: string, increment: boolean) => {
      const call: KeyedCall = { key: `${name}:${key}`, routeOptions: {} as FastifyRequest['routeOptions'] }
      const result = await limit(call as unknown as FastifyRequest, { increment })
      if (result.isAllowed) return
      // Counted: past the budget once this use is in; checked: no use left for the next one.
      if (increment ? result.isExceeded : result.remaining === 0) {
        throw new RateLimitError(Math.max(1, result.ttlInSeconds))
      }
    }
    return { take: (key) => run(key, true), check: (key) => run(key, false) }
  }
}
