import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { betterAuth } from 'better-auth'
import { memoryAdapter } from 'better-auth/adapters/memory'
import { toNodeHandler } from 'better-auth/node'
import { jwt } from 'better-auth/plugins'
import { importJWK, type JWK } from 'jose'

/** The audience the API is configured with, as the README advises: the API's own URL. */
export const API_AUDIENCE = 'https://api.todo.test'

/**
 * A real Better Auth server (memory adapter, JWT plugin) on a loopback port, as a Next.js
 * frontend would run it. Its issuer is its origin, Better Auth's default.
 */
export async function startBetterAuth() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const tables: Record<string, any[]> = { user: [], session: [], account: [], verification: [], jwks: [] }
  const auth = betterAuth({
    baseURL: origin,
    secret: 'better-auth-test-secret-of-at-least-32-chars',
    database: memoryAdapter(tables),
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: true, strategy: 'jwt', maxAge: 300 } },
    plugins: [
      jwt({
        jwt: { issuer: origin, audience: API_AUDIENCE, expirationTime: '15m' },
        // The session cache is signed with the same key; only its audience tells it apart.
        sessionCookieCache: true,
        // Lets the tests read the private key and sign tokens Better Auth itself would not.
        jwks: { disablePrivateKeyEncryption: true },
      }),
    ],
    telemetry: { enabled: false },
    advanced: { disableOriginCheck: false },
  })
  server.on('request', toNodeHandler(auth))

  const api = `${origin}/api/auth`
  const cookiesOf = (response: Response) =>
    response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(';')[0])
      .join('; ')

  return {
    origin,
    jwksUrl: `${api}/jwks`,
    /** Signs a new user up over HTTP; returns its id, session cookies and a JWT for the API. */
    async signUp(email: string, name = 'Test User') {
      const response = await fetch(`${api}/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ email, password: 'a long enough password', name }),
      })
      if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`)
      const { user } = (await response.json()) as { user: { id: string } }
      const cookies = cookiesOf(response)
      const sessionCache = /better-auth\.session_data=([^;]+)/.exec(cookies)?.[1]
      const { token } = (await (await fetch(`${api}/token`, { headers: { cookie: cookies } })).json()) as {
        token: string
      }
      return { id: user.id, cookies, token, sessionCache: decodeURIComponent(sessionCache ?? '') }
    },
    /** The JWT of the `set-auth-jwt` header of get-session, the other documented way. */
    async tokenFromSessionHeader(cookies: string) {
      const response = await fetch(`${api}/get-session`, { headers: { cookie: cookies } })
      return response.headers.get('set-auth-jwt')
    },
    /** Better Auth's own signing key, to forge tokens with a valid signature and bad claims. */
    async signingKey() {
      const row = tables.jwks?.[0] as { privateKey: string; publicKey: string; id: string }
      const jwk = JSON.parse(row.privateKey) as JWK
      return { kid: row.id, key: await importJWK(jwk, 'EdDSA'), publicJwk: JSON.parse(row.publicKey) as JWK }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
export type BetterAuthServer = Awaited<ReturnType<typeof startBetterAuth>>
