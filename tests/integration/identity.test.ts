import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUserId, tokenFor } from '../setup/auth.js'
import { API_AUDIENCE, type BetterAuthServer, startBetterAuth } from '../setup/better-auth.js'
import { testDatabase } from '../setup/database.js'
import { doors } from '../setup/doors.js'
import { request } from '../setup/http.js'
import { startJwksServer } from '../setup/jwks-server.js'
import { startServer, type TestServer } from '../setup/server.js'

let betterAuth: BetterAuthServer
let server: TestServer

beforeAll(async () => {
  betterAuth = await startBetterAuth()
  server = await startServer({
    AUTH_JWKS_URL: betterAuth.jwksUrl,
    AUTH_ISSUER: betterAuth.origin,
    AUTH_AUDIENCE: API_AUDIENCE,
  })
})
afterAll(async () => {
  await server?.app.close()
  await betterAuth?.close()
})

describe.each(doors)('Better Auth tokens at the %s door', (_name, makeDoor) => {
  it('are accepted, and their user is provisioned with email and name', async () => {
    const email = `${randomUUID()}@example.com`
    const user = await betterAuth.signUp(email, 'Ada Lovelace')
    const door = makeDoor(server.url, user.token)
    const created = await door.create({ user_id: user.id, title: 'From the frontend' })
    expect(created.data).toMatchObject({ user_id: user.id, title: 'From the frontend' })
    expect((await door.list({ user_id: user.id })).data).toHaveLength(1)
    const { db } = await testDatabase()
    const row = await db.selectFrom('users').select(['email', 'name']).where('id', '=', user.id).executeTakeFirst()
    expect(row).toEqual({ email, name: 'Ada Lovelace' })
  })

  it('are accepted from the set-auth-jwt header of get-session too', async () => {
    const user = await betterAuth.signUp(`${randomUUID()}@example.com`)
    const token = await betterAuth.tokenFromSessionHeader(user.cookies)
    expect(token).toBeTruthy()
    expect((await makeDoor(server.url, token!).list({ user_id: user.id })).status).toBe(200)
  })

  it("still cannot reach another user's tasks", async () => {
    const alice = await betterAuth.signUp(`${randomUUID()}@example.com`)
    const bob = await betterAuth.signUp(`${randomUUID()}@example.com`)
    expect(await makeDoor(server.url, bob.token).list({ user_id: alice.id })).toMatchObject({ status: 403 })
  })
})

describe('forged and misused tokens', () => {
  interface Forgery {
    /** Signing key: Better Auth's own by default. */
    key?: Parameters<SignJWT['sign']>[0]
    header?: Record<string, unknown>
    iss?: string
    aud?: string
    exp?: number | string | null
    nbf?: string
  }

  /** A token for `sub` with Better Auth's key, issuer and audience, except where told otherwise. */
  async function forge(sub: string, f: Forgery = {}): Promise<string> {
    const real = await betterAuth.signingKey()
    const jwt = new SignJWT({ sub })
      .setProtectedHeader({ alg: 'EdDSA', kid: real.kid, ...f.header } as { alg: string })
      .setIssuer(f.iss ?? betterAuth.origin)
      .setAudience(f.aud ?? API_AUDIENCE)
      .setIssuedAt()
    if (f.exp !== null) jwt.setExpirationTime(f.exp ?? '10m')
    if (f.nbf) jwt.setNotBefore(f.nbf)
    return jwt.sign(f.key ?? real.key)
  }
  const otherKey = async () => (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey
  const publicJwk = async () => (await betterAuth.signingKey()).publicJwk

  const attacks: [string, (sub: string) => Promise<string>][] = [
    [
      'alg none',
      async (sub) =>
        new UnsecuredJWT({ sub, iss: betterAuth.origin, aud: API_AUDIENCE }).setExpirationTime('10m').encode(),
    ],
    [
      'HS256 signed with the JWKS public key as the secret (key confusion)',
      async (sub) =>
        forge(sub, {
          header: { alg: 'HS256', kid: undefined },
          key: new TextEncoder().encode(JSON.stringify(await publicJwk())),
        }),
    ],
    [
      'HS256 signed with the raw public key bytes',
      async (sub) =>
        forge(sub, { header: { alg: 'HS256', kid: undefined }, key: Buffer.from((await publicJwk()).x!, 'base64url') }),
    ],
    ['a wrong issuer', (sub) => forge(sub, { iss: 'https://evil.example.com' })],
    ['a wrong audience', (sub) => forge(sub, { aud: 'https://other-api.example.com' })],
    ['the session-cache audience, typed as a JWT', (sub) => forge(sub, { aud: 'better-auth:session-cache' })],
    ['the session-cache type', (sub) => forge(sub, { header: { typ: 'better-auth.session-cache+jwt' } })],
    ['an expired token', (sub) => forge(sub, { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['nbf in the future', (sub) => forge(sub, { nbf: '5m' })],
    ['no exp', (sub) => forge(sub, { exp: null })],
    ['an unknown kid', async (sub) => forge(sub, { header: { kid: 'not-a-known-kid' }, key: await otherKey() })],
    ['another key under the real kid', async (sub) => forge(sub, { key: await otherKey() })],
    [
      'an issuer nobody configured',
      async (sub) =>
        forge(sub, { iss: 'https://unknown-issuer.example.com', header: { kid: undefined }, key: await otherKey() }),
    ],
  ]

  it.each(attacks)('refuses %s with 401 invalid_token, at both doors', async (_, forge) => {
    const userId = newUserId()
    const token = await forge(userId)
    for (const [, makeDoor] of doors) {
      expect(await makeDoor(server.url, token).list({ user_id: userId })).toMatchObject({
        status: 401,
        code: 'UNAUTHORIZED',
      })
    }
    const rest = await request(server.url, 'GET', `/api/${userId}/tasks`, { token })
    expect(rest.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
  })

  it("refuses Better Auth's real session-cache cookie (same key, session-cache audience)", async () => {
    const user = await betterAuth.signUp(`${randomUUID()}@example.com`)
    expect(user.sessionCache.split('.')).toHaveLength(3)
    for (const [, makeDoor] of doors) {
      expect(await makeDoor(server.url, user.sessionCache).list({ user_id: user.id })).toMatchObject({ status: 401 })
    }
  })

  it('accepts a token signed with the real key and the right claims (the forgeries above are refused for their claims)', async () => {
    const userId = newUserId()
    const token = await forge(userId)
    expect((await request(server.url, 'GET', `/api/${userId}/tasks`, { token })).status).toBe(200)
  })
})

describe('several issuers at once', () => {
  it('accepts the shared secret, the built-in issuer and Better Auth on one server', async () => {
    const hs = newUserId()
    expect((await request(server.url, 'GET', `/api/${hs}/tasks`, { token: await tokenFor(hs) })).status).toBe(200)

    const registered = await request(server.url, 'POST', '/api/auth/register', {
      body: { email: `${randomUUID()}@example.com`, password: 'a good password' },
    })
    const own = registered.body as { user: { id: string }; token: string }
    expect((await request(server.url, 'GET', `/api/${own.user.id}/tasks`, { token: own.token })).status).toBe(200)

    const external = await betterAuth.signUp(`${randomUUID()}@example.com`)
    const me = await request(server.url, 'GET', '/api/auth/me', { token: external.token })
    expect(me.body).toMatchObject({ id: external.id, email: expect.stringContaining('@example.com') })
  })

  it('does not let a built-in token pass as Better Auth or the other way round', async () => {
    const registered = await request(server.url, 'POST', '/api/auth/register', {
      body: { email: `${randomUUID()}@example.com`, password: 'a good password' },
    })
    const own = registered.body as { user: { id: string }; token: string }
    const { key, kid } = await betterAuth.signingKey()
    // Better Auth's key, the built-in issuer's name: judged by the built-in issuer, refused.
    const crossed = await new SignJWT({ sub: own.user.id })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer('todo-api')
      .setAudience('todo-api')
      .setExpirationTime('10m')
      .sign(key)
    expect((await request(server.url, 'GET', `/api/${own.user.id}/tasks`, { token: crossed })).status).toBe(401)
  })
})

describe('a key server that misbehaves', () => {
  async function serverTrusting(jwksUrl: string) {
    return startServer({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: 'https://idp.test', AUTH_AUDIENCE: API_AUDIENCE })
  }
  async function idpToken(sub: string) {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    return new SignJWT({ sub })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setIssuer('https://idp.test')
      .setAudience(API_AUDIENCE)
      .setExpirationTime('10m')
      .sign(privateKey)
  }

  it.each(['malformed', 'huge', 'error'] as const)(
    'answers 503 quickly when the key set is %s, and keeps serving',
    async (behaviour) => {
      const jwks = await startJwksServer(behaviour)
      const api = await serverTrusting(jwks.url)
      try {
        const userId = newUserId()
        const started = Date.now()
        const response = await request(api.url, 'GET', `/api/${userId}/tasks`, { token: await idpToken(userId) })
        expect(response.status).toBe(503)
        expect(response.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
        expect(Date.now() - started).toBeLessThan(4000)
        const other = newUserId()
        expect((await request(api.url, 'GET', `/api/${other}/tasks`, { token: await tokenFor(other) })).status).toBe(
          200,
        )
      } finally {
        await api.app.close()
        await jwks.close()
      }
    },
  )

  it('answers 503 when nothing listens at the JWKS URL', async () => {
    const api = await serverTrusting('http://127.0.0.1:1/jwks')
    try {
      const userId = newUserId()
      const response = await request(api.url, 'GET', `/api/${userId}/tasks`, { token: await idpToken(userId) })
      expect(response.status).toBe(503)
    } finally {
      await api.app.close()
    }
  })

  it('answers 503 after the fetch timeout when the key server hangs, at both doors, and keeps serving', async () => {
    const jwks = await startJwksServer('hang')
    const api = await serverTrusting(jwks.url)
    try {
      const userId = newUserId()
      const token = await idpToken(userId)
      const started = Date.now()
      const outcomes = await Promise.all(
        doors.map(([, makeDoor]) => makeDoor(api.url, token).list({ user_id: userId })),
      )
      for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 503 })
      expect(Date.now() - started).toBeLessThan(9000)
      const other = newUserId()
      expect((await request(api.url, 'GET', `/api/${other}/tasks`, { token: await tokenFor(other) })).status).toBe(200)
    } finally {
      await api.app.close()
      await jwks.close()
    }
  })

  it('accepts tokens once the key server answers with the key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const jwks = await startJwksServer({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] })
    const api = await serverTrusting(jwks.url)
    try {
      const userId = newUserId()
      const token = await new SignJWT({ sub: userId })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
        .setIssuer('https://idp.test')
        .setAudience(API_AUDIENCE)
        .setExpirationTime('10m')
        .sign(privateKey)
      expect((await request(api.url, 'GET', `/api/${userId}/tasks`, { token })).status).toBe(200)
      expect((await request(api.url, 'GET', `/api/${userId}/tasks`, { token })).status).toBe(200)
      expect(jwks.requests()).toBe(1)
    } finally {
      await api.app.close()
      await jwks.close()
    }
  })
})
