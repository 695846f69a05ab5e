import { randomUUID } from 'node:crypto'
import {
  authRoutes,
  LoginInputSchema,
  RegisterInputSchema,
  SessionSchema,
  type User,
  UserSchema,
} from '@todo/contracts'
import { TRPCError } from '@trpc/server'
import { hashPassword, verifyPassword } from '../../auth/password.js'
import { isUniqueViolation } from '../../db/failures.js'
import { CREDENTIALS_EMAIL_KEY, findAccountByEmail, insertCredentials } from '../../db/queries/credentials.js'
import { findUserById, insertUser, type UserRecord } from '../../db/queries/users.js'
import type { Context } from '../context.js'
import { authedProcedure, publicProcedure, router } from '../init.js'

function toUser(record: UserRecord): User {
  return { id: record.id, email: record.email, name: record.name, created_at: record.created_at }
}

/** The built-in issuer, or a 404 where it is turned off (`AUTH_BUILTIN=false`). */
function issuerOf(ctx: Context) {
  if (!ctx.issuer) throw new TRPCError({ code: 'NOT_FOUND', message: 'The built-in issuer is turned off' })
  return ctx.issuer
}

async function session(ctx: Context, user: UserRecord) {
  const { token, expiresAt } = await issuerOf(ctx).issue({
    id: user.id,
    email: user.email ?? undefined,
    name: user.name ?? undefined,
  })
  return { user: toUser(user), token, expires_at: expiresAt.toISOString() }
}

export const authRouter = router({
  register: publicProcedure
    .meta(authRoutes.register)
    .input(RegisterInputSchema)
    .output(SessionSchema)
    .mutation(async ({ ctx, input }) => {
      issuerOf(ctx)
      await ctx.loginGuard.register(ctx.clientIp)
      const password_hash = await hashPassword(input.password)
      try {
        const user = await ctx.db.transaction().execute(async (trx) => {
          const created = await insertUser(trx, { id: randomUUID(), email: input.email, name: input.name ?? null })
          await insertCredentials(trx, { user_id: created.id, email: input.email, password_hash })
          return created
        })
        return await session(ctx, user)
      } catch (error) {
        if (isUniqueViolation(error, CREDENTIALS_EMAIL_KEY)) {
          throw new TRPCError({ code: 'CONFLICT', message: 'An account with this email already exists' })
        }
        throw error
      }
    }),

  login: publicProcedure
    .meta(authRoutes.login)
    .input(LoginInputSchema)
    .output(SessionSchema)
    .mutation(async ({ ctx, input }) => {
      issuerOf(ctx)
      const account = await ctx.loginGuard.login(input.email, ctx.clientIp, async () => {
        const found = await findAccountByEmail(ctx.db, input.email)
        return (await verifyPassword(input.password, found?.password_hash)) ? found : undefined
      })
      if (!account) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong email or password' })
      return session(ctx, account)
    }),

  me: authedProcedure
    .meta(authRoutes.me)
    .output(UserSchema)
    .query(async ({ ctx }) => {
      const user = await findUserById(ctx.db, ctx.user.id)
      if (!user) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such user' })
      return toUser(user)
    }),
})
