import 'server-only'
import { betterAuth } from 'better-auth'
import { memoryAdapter } from 'better-auth/adapters/memory'
import { jwt } from 'better-auth/plugins'
import { serverEnv } from '@/lib/env'

/**
 * Better Auth's tables, in memory: accounts last as long as the process, which is all an
 * example needs. For a real app, swap `database` below for a real one, e.g.
 * `database: new Pool({ connectionString: process.env.DATABASE_URL })` (pg) and run
 * `npx @better-auth/cli migrate`, or the Drizzle/Prisma adapters. Kept on `globalThis` so that
 * every route bundle of this process sees the same accounts.
 */
const store = globalThis as { todoAuthTables?: Record<string, unknown[]> }
store.todoAuthTables ??= { user: [], session: [], account: [], verification: [], jwks: [] }
const tables = store.todoAuthTables

/** Builds the auth server from the environment on first use (not at `next build`). */
function createAuth() {
  const env = serverEnv()
  return betterAuth({
    baseURL: env.authUrl,
    secret: env.authSecret,
    database: memoryAdapter(tables),
    emailAndPassword: { enabled: true },
    plugins: [
      jwt({
        // The API compares both claims exactly: `iss` with its AUTH_ISSUER, `aud` with its
        // AUTH_AUDIENCE. The issuer is set rather than left to Better Auth, whose default is the
        // base URL it was given or, without one, the host of each request.
        jwt: { issuer: env.authUrl, audience: env.apiAudience, expirationTime: '15m' },
      }),
    ],
    telemetry: { enabled: false },
  })
}

let instance: ReturnType<typeof createAuth> | undefined

/** The Better Auth server of this app. */
export function getAuth() {
  instance ??= createAuth()
  return instance
}
