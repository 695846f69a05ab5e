import { randomUUID } from 'node:crypto'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { testDatabase } from '../setup/database.js'
import { request } from '../setup/http.js'
import { startServer, useServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

const PASSWORD = 'correct horse battery'
const email = () => `${randomUUID()}@Example.com`

describe('the built-in issuer', () => {
  const server = useServer()
  const register = (body: unknown) => request(server.url, 'POST', '/api/auth/register', { body })
  const login = (body: unknown) => request(server.url, 'POST', '/api/auth/login', { body })

  it('registers over REST: 201 with the user and an EdDSA token its JWKS verifies', async () => {
    const address = email()
    const before = Date.now()
    const response = await register({ email: `  ${address} `, password: PASSWORD, name: ' Grace ' })
    expect(response.status).toBe(201)
    const { user, token, expires_at } = response.body
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: address.toLowerCase(),
      name: 'Grace',
      created_at: expect.any(String),
    })
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) })
    const jwks = await request(server.url, 'GET', '/.well-known/jwks.json')
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body), {
      issuer: 'todo-api',
      audience: 'todo-api',
    })
    expect(payload).toMatchObject({ sub: user.id, email: address.toLowerCase() })
    // One hour by default.
    expect(Date.parse(expires_at) - before).toBeGreaterThan(3590_000)
    expect(Date.parse(expires_at) - before).toBeLessThan(3610_000)
    expect(payload.exp).toBe(Date.parse(expires_at) / 1000)
  })

  it('registers, signs in and says who is signed in over tRPC too', async () => {
    const client = trpcClient(server.url)
    const address = email()
    const registered = await client.auth.register.mutate({ email: address, password: PASSWORD })
    const signedIn = await client.auth.login.mutate({ email: address.toUpperCase(), password: PASSWORD })
    expect(signedIn.user).toEqual(registered.user)
    const me = await trpcClient(server.url, signedIn.token).auth.me.query()
    expect(me).toEqual(registered.user)
  })

  it('serves its tasks with its tokens, at both doors', async () => {
    const { body } = await register({ email: email(), password: PASSWORD })
    const created = await request(server.url, 'POST', `/api/${body.user.id}/tasks`, {
      token: body.token,
      body: { title: 'mine' },
    })
    expect(created.status).toBe(201)
    const listed = await trpcClient(server.url, body.token).tasks.list.query({ user_id: body.user.id })
    expect(listed.map((t) => t.title)).toEqual(['mine'])
  })

  it('answers 409 for an email already taken, whatever its case', async () => {
    const address = email()
    expect((await register({ email: address, password: PASSWORD })).status).toBe(201)
    const again = await register({ email: address.toUpperCase(), password: 'another password' })
    expect(again.status).toBe(409)
    expect(again.body).toEqual({ code: 'CONFLICT', message: 'An account with this email already exists' })
  })

  it('lets exactly one of 8 concurrent registrations of one email through', async () => {
    const address = email()
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => register({ email: address, password: PASSWORD })),
    )
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409])
    const { db } = await testDatabase()
    const accounts = await db
      .selectFrom('credentials')
      .select('user_id')
      .where('email', '=', address.toLowerCase())
      .execute()
    expect(accounts).toHaveLength(1)
  })

  it('signs in with the email in any case, and answers the same 401 for a wrong password and an unknown email', async () => {
    const address = email()
    await register({ email: address, password: PASSWORD })
    const ok = await login({ email: ` ${address.toUpperCase()} `, password: PASSWORD })
    expect(ok.status).toBe(200)
    const wrong = await login({ email: address, password: `${PASSWORD}!` })
    const unknown = await login({ email: email(), password: PASSWORD })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.body).toEqual(unknown.body)
    expect(wrong.body).toEqual({ code: 'UNAUTHORIZED', message: 'Wrong email or password' })
  })

  it.each([
    ['7 characters', 'a'.repeat(7)],
    ['129 characters', 'a'.repeat(129)],
    ['10 kB', 'a'.repeat(10_000)],
    ['a control character', 'password\u0000123'],
    ['a number', 12345678],
  ])('refuses a password of %s with 400', async (_, password) => {
    const response = await register({ email: email(), password })
    expect(response.status).toBe(400)
    expect(response.body.issues).toEqual([expect.objectContaining({ path: ['password'] })])
  })

  it('refuses a 10 kB password at sign-in without hashing it', async () => {
    const response = await login({ email: email(), password: 'a'.repeat(10_000) })
    expect(response.status).toBe(400)
  })

  it.each(['not an email', '', 'a@b', `${'x'.repeat(250)}@example.com`])(
    'refuses the email %j with 400',
    async (address) => {
      const response = await register({ email: address, password: PASSWORD })
      expect(response.status).toBe(400)
      expect(response.body.issues).toEqual([expect.objectContaining({ path: ['email'] })])
    },
  )

  it('stores only a salted scrypt hash and never echoes the password or the hash', async () => {
    const first = await register({ email: email(), password: PASSWORD })
    const second = await register({ email: email(), password: PASSWORD })
    for (const response of [first, second]) {
      expect(response.text).not.toContain(PASSWORD)
      expect(response.text).not.toContain('scrypt')
    }
    const { db } = await testDatabase()
    const hashes = await db
      .selectFrom('credentials')
      .select('password_hash')
      .where('user_id', 'in', [first.body.user.id, second.body.user.id])
      .execute()
    expect(hashes).toHaveLength(2)
    for (const { password_hash } of hashes) {
      expect(password_hash).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
      expect(password_hash).not.toContain(PASSWORD)
    }
    expect(hashes[0]!.password_hash).not.toBe(hashes[1]!.password_hash)
  })

  it('answers GET /api/auth/me with 401 and a challenge without a token', async () => {
    const response = await request(server.url, 'GET', '/api/auth/me')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect((await trpcError(trpcClient(server.url).auth.me.query())).data?.httpStatus).toBe(401)
  })

  it('takes about as long to refuse an unknown email as a wrong password', async () => {
    const address = email()
    await register({ email: address, password: PASSWORD })
    const time = async (body: unknown) => {
      const started = performance.now()
      expect((await login(body)).status).toBe(401)
      return performance.now() - started
    }
    await time({ email: email(), password: PASSWORD }) // makes the decoy hash
    const unknown: number[] = []
    const wrong: number[] = []
    for (let i = 0; i < 7; i++) {
      unknown.push(await time({ email: email(), password: PASSWORD }))
      wrong.push(await time({ email: address, password: 'wrong password' }))
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    // Without the decoy an unknown email is refused ~50x faster; the bound only catches that.
    const ratio = median(unknown) / median(wrong)
    expect(ratio).toBeGreaterThan(0.4)
    expect(ratio).toBeLessThan(2.5)
  })
})

describe('the built-in issuer, configured', () => {
  it('signs with AUTH_SIGNING_KEY and honours AUTH_TOKEN_TTL', async () => {
    const key = {
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
    }
    const server = await startServer({ AUTH_SIGNING_KEY: JSON.stringify(key), AUTH_TOKEN_TTL: '15m' })
    try {
      const jwks = await request(server.url, 'GET', '/.well-known/jwks.json')
      expect(jwks.body.keys).toEqual([expect.objectContaining({ x: key.x, alg: 'EdDSA', use: 'sig' })])
      expect(JSON.stringify(jwks.body)).not.toContain(key.d)
      const before = Date.now()
      const { body } = await request(server.url, 'POST', '/api/auth/register', {
        body: { email: email(), password: PASSWORD },
      })
      expect(decodeProtectedHeader(body.token).kid).toBe(jwks.body.keys[0].kid)
      expect(Math.round((Date.parse(body.expires_at) - before) / 60_000)).toBe(15)
    } finally {
      await server.app.close()
    }
  })

  it('is off with AUTH_BUILTIN=false: no accounts, no keys, its tokens refused', async () => {
    const on = await startServer()
    const off = await startServer({ AUTH_BUILTIN: 'false' })
    try {
      const { body } = await request(on.url, 'POST', '/api/auth/register', {
        body: { email: email(), password: PASSWORD },
      })
      expect(
        (await request(off.url, 'POST', '/api/auth/register', { body: { email: email(), password: PASSWORD } })).status,
      ).toBe(404)
      expect((await request(off.url, 'GET', '/.well-known/jwks.json')).body).toEqual({ keys: [] })
      expect((await request(off.url, 'GET', '/api/auth/me', { token: body.token })).status).toBe(401)
    } finally {
      await on.app.close()
      await off.app.close()
    }
  })
})
