import { z } from 'zod'
import { IsoDateTimeSchema } from './common.js'
import { defineRoutes } from './route-meta.js'
import { text } from './text.js'

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128

/** Trimmed and lower-cased, so one address is one account whatever its spelling. */
const EmailSchema = z
  .string()
  .max(254)
  .transform((email) => email.trim().toLowerCase())
  .pipe(z.email({ message: 'Must be an email address' }))
  .describe('Compared without case or surrounding spaces.')

const PasswordSchema = text({ min: PASSWORD_MIN, max: PASSWORD_MAX }).describe(
  `${PASSWORD_MIN} to ${PASSWORD_MAX} characters; any text without control characters.`,
)

/** A user as the API shows it. Never a password or its hash. */
export const UserSchema = z
  .object({
    id: z.string().describe('The user id: the `sub` of the user’s tokens.'),
    email: z.string().nullable(),
    name: z.string().nullable(),
    created_at: IsoDateTimeSchema,
  })
  .meta({ id: 'User' })
export type User = z.infer<typeof UserSchema>

export const RegisterInputSchema = z.object({
  email: EmailSchema,
  password: PasswordSchema,
  name: text({ trim: true, min: 1, max: 100 }).optional().describe('Shown name; 1 to 100 characters.'),
})
export type RegisterInput = z.input<typeof RegisterInputSchema>

export const LoginInputSchema = z.object({
  email: EmailSchema,
  // Only bounded: the policy applies when a password is chosen, not when it is tried.
  password: z.string().max(PASSWORD_MAX * 4),
})
export type LoginInput = z.input<typeof LoginInputSchema>

/** A signed-in user and a bearer token for the API. */
export const SessionSchema = z
  .object({
    user: UserSchema,
    token: z.string().describe('A JWT (EdDSA) to send as `Authorization: Bearer <token>`.'),
    expires_at: IsoDateTimeSchema.describe('When the token stops being accepted.'),
  })
  .meta({ id: 'Session' })
export type Session = z.infer<typeof SessionSchema>

const common = { tags: ['auth'] }
/** Where the built-in issuer is turned off (`AUTH_BUILTIN=false`) its routes answer 404. */
const issuerOff = 'NOT_FOUND'

/** REST routes of the built-in issuer's `auth` procedures. */
export const authRoutes = defineRoutes({
  register: {
    openapi: {
      ...common,
      method: 'POST',
      path: '/auth/register',
      summary: 'Create an account',
      description: 'Creates a user of the built-in issuer and signs it in. 409 when the email is taken.',
      protect: false,
    },
    successStatus: 201,
    errors: ['CONFLICT', issuerOff],
  },
  login: {
    openapi: {
      ...common,
      method: 'POST',
      path: '/auth/login',
      summary: 'Sign in',
      description: 'The same 401 for an unknown email and a wrong password.',
      protect: false,
    },
    errors: ['UNAUTHORIZED', issuerOff],
  },
  me: {
    openapi: {
      ...common,
      method: 'GET',
      path: '/auth/me',
      summary: 'Get the signed-in user',
      description: 'Works with a token of any trusted issuer.',
      protect: true,
    },
    errors: ['NOT_FOUND'],
  },
})
