import { type RouteMeta, UserIdSchema } from '@todo/contracts'
import { initTRPC, TRPCError } from '@trpc/server'
import { z } from 'zod'
import { HashingBusyError } from '../auth/password.js'
import { AuthError } from '../auth/verify-token.js'
import { isDatabaseUnavailable } from '../db/failures.js'
import type { Context } from './context.js'
import { formatError, inputError } from './error-shape.js'
import { RateLimitError } from './rate-limit.js'

/**
 * SSE subscriptions (`tasks.events`): a ping every 10 s keeps idle streams alive through
 * proxies and lets a client notice a dead one (it reconnects after 25 s without a message,
 * which tRPC tells it in its first event); a stream lasts at most 30 minutes, then the client
 * reconnects with its last event id, so that long-lived streams spread over instances again
 * and a token's expiry is met even on a client that does not watch it.
 * @see https://trpc.io/docs/server/subscriptions#server-sent-events-sse
 */
export const SSE = {
  ping: { enabled: true, intervalMs: 10_000 },
  client: { reconnectAfterInactivityMs: 25_000 },
  maxDurationMs: 30 * 60_000,
}

const t = initTRPC.context<Context>().meta<RouteMeta>().create({ errorFormatter: formatError, sse: SSE })

export const router = t.router
export const middleware = t.middleware
export const createCallerFactory = t.createCallerFactory

/**
 * Faults of what the server depends on are its honest 503, whatever the call was: a database
 * that cannot be reached, or too many password hashes under way.
 */
const availability = t.middleware(async ({ next }) => {
  const result = await next()
  if (result.ok) return result
  if (isDatabaseUnavailable(result.error.cause)) {
    throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable', cause: result.error })
  }
  if (result.error.cause instanceof HashingBusyError) {
    throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: result.error.cause.message, cause: result.error.cause })
  }
  return result
})

/** Per caller: the verified user, or the client address when there is none. */
const rateLimited = t.middleware(async ({ ctx, next }) => {
  if (ctx.rateLimiter) {
    const key = await ctx.identity().then(
      (identity) => `user:${identity.id}`,
      () => `ip:${ctx.clientIp}`,
    )
    try {
      await ctx.rateLimiter.take(key)
    } catch (error) {
      if (error instanceof RateLimitError) {
        throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause: error })
      }
      throw error
    }
  }
  return next()
})

/** Names the procedure in the request's log line (a batch names each of its calls). */
const logged = t.middleware(({ ctx, path, next }) => {
  const fields = ctx.logFields
  fields.procedure = fields.procedure === undefined ? path : `${fields.procedure},${path}`
  return next()
})

export const publicProcedure = t.procedure.use(logged).use(availability).use(rateLimited)

/** Refuses the call without a trusted token (401); provisions the user on first sight. */
const isAuthed = t.middleware(async ({ ctx, next }) => {
  let user: Awaited<ReturnType<Context['identity']>>
  try {
    user = await ctx.identity()
  } catch (error) {
    if (error instanceof AuthError) {
      const code = error.reason === 'unavailable' ? 'SERVICE_UNAVAILABLE' : 'UNAUTHORIZED'
      throw new TRPCError({ code, message: error.message, cause: error })
    }
    throw error
  }
  ctx.logFields.user = user.id
  await ctx.provisionUser(user)
  return next({ ctx: { user } })
})

export const authedProcedure = publicProcedure.use(isAuthed)

/**
 * REST path parameters arrive as the client percent-encoded them (trpc-to-openapi does not
 * decode them): `/api/auth0%7C42/tasks` is the user `auth0|42`.
 */
const decodedRestPath = t.middleware(async ({ ctx, getRawInput, next }) => {
  if (ctx.transport !== 'rest') return next()
  const raw = await getRawInput()
  const userId = (raw as { user_id?: unknown } | undefined)?.user_id
  if (typeof userId !== 'string' || !userId.includes('%')) return next()
  let decoded: string
  try {
    decoded = decodeURIComponent(userId)
  } catch {
    return next()
  }
  return next({ getRawInput: async () => ({ ...(raw as object), user_id: decoded }) })
})

/**
 * For paths under `/{user_id}`: the path must name the caller (403 otherwise), checked
 * before the rest of the input is looked at.
 */
export const userScopedProcedure = authedProcedure
  .use(decodedRestPath)
  .input(z.object({ user_id: UserIdSchema }))
  .use(({ ctx, input, next }) => {
    if (input.user_id !== ctx.user.id) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'The path names another user' })
    }
    return next()
  })
  // A write that succeeded rings the doorbell of live events, on every instance.
  .use(async ({ ctx, type, next }) => {
    const result = await next()
    if (type === 'mutation' && result.ok) ctx.events.announce(ctx.user.id)
    return result
  })

/**
 * REST: `If-Match: "<version>"` is the condition of a write, read into `if_version` (`*`,
 * "any version", is no condition). Any other form (a weak tag, a bare number) is 400: a
 * condition the server cannot honour must not be ignored.
 */
export const ifMatchHeader = t.middleware(async ({ ctx, getRawInput, next }) => {
  const ifMatch = ctx.rest?.header('if-match')?.trim()
  if (ifMatch === undefined || ifMatch === '*') return next()
  const version = /^"([1-9]\d{0,9})"$/.exec(ifMatch)?.[1]
  if (version === undefined || Number(version) > 2 ** 31 - 1) {
    throw inputError(['If-Match'], 'Must be * or one quoted version, such as "3"')
  }
  const raw = await getRawInput()
  return next({ getRawInput: async () => ({ ...(raw as object), if_version: Number(version) }) })
})

/**
 * REST query values are strings: reads the typed ones as JSON types before validation.
 * Leaves anything unreadable as it was, for the schema to refuse with a clear issue.
 */
export function restQuery(types: Record<string, 'boolean' | 'integer'>) {
  return t.middleware(async ({ ctx, getRawInput, next }) => {
    if (ctx.transport !== 'rest') return next()
    const raw = await getRawInput()
    if (typeof raw !== 'object' || raw === null) return next()
    const input: Record<string, unknown> = { ...raw }
    for (const [key, type] of Object.entries(types)) {
      const value = input[key]
      if (typeof value !== 'string') continue
      if (type === 'boolean' && (value === 'true' || value === 'false')) input[key] = value === 'true'
      if (type === 'integer' && /^-?\d{1,15}$/.test(value)) input[key] = Number(value)
    }
    return next({ getRawInput: async () => input })
  })
}
