import { SignJWT, UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { newUserId, TEST_SECRET, tokenFor } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { doors } from '../setup/doors.js'
import { request } from '../setup/http.js'
import { useServer } from '../setup/server.js'

const secret = new TextEncoder().encode(TEST_SECRET)

/** Tokens a shared-secret server must refuse, each with why. */
const refused: [string, (sub: string) => Promise<string> | string][] = [
  ['expired', (sub) => tokenFor(sub, { expiresIn: Math.floor(Date.now() / 1000) - 120 })],
  ['not valid yet (nbf in the future)', (sub) => tokenFor(sub, { notBefore: '10m' })],
  ['signed with another secret', (sub) => tokenFor(sub, { secret: 'another-secret-that-is-32-bytes-long!!' })],
  ['unsigned (alg none)', (sub) => new UnsecuredJWT({ sub }).setExpirationTime('1h').encode()],
  ['HS512 with the right secret (not allowed)', (sub) => tokenFor(sub, { alg: 'HS512' })],
  ['without sub', () => tokenFor(undefined)],
  ['without exp', (sub) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).sign(secret)],
  ['with an empty sub', () => tokenFor('')],
  ['with a sub of 256 characters', () => tokenFor('u'.repeat(256))],
  ['with a control character in sub', () => tokenFor('bad\u0000sub')],
  ['with a tampered payload', async (sub) => tamper(await tokenFor(sub), newUserId())],
  ['that is not a JWT', () => 'not.a.jwt'],
]

/** Swaps the payload's sub and keeps the old signature. */
function tamper(token: string, sub: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  return [header, Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url'), signature].join('.')
}

describe.each(doors)('authentication at the %s door', (name, makeDoor) => {
  const server = useServer()

  it('answers 401 with a bearer challenge when there is no token', async () => {
    const userId = newUserId()
    const outcome = await makeDoor(server.url, undefined).list({ user_id: userId })
    expect(outcome).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
  })

  it.each(refused)('answers 401 for a token %s', async (_, make) => {
    const userId = newUserId()
    const outcome = await makeDoor(server.url, await make(userId)).list({ user_id: userId })
    expect(outcome).toMatchObject({ status: 401, code: 'UNAUTHORIZED' })
  })

  it('provisions a user seen for the first time, once', async () => {
    const userId = newUserId()
    const token = await tokenFor(userId, { claims: { email: 'new@example.com', name: 'New Person' } })
    const door = makeDoor(server.url, token)
    expect((await door.list({ user_id: userId })).status).toBe(200)
    expect((await door.create({ user_id: userId, title: 'first' })).status).toBe(name === 'rest' ? 201 : 200)
    const { db } = await testDatabase()
    const rows = await db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', userId).execute()
    expect(rows).toEqual([{ id: userId, email: 'new@example.com', name: 'New Person' }])
  })
})

describe('user ids that need escaping in a path', () => {
  const server = useServer()

  it.each(['auth0|5f7c8ec7c33c6c004bbafe82', 'google-oauth2|1234', 'user name/with slash', 'üñíçødé', 'a%20b'])(
    'serves the user %j at both doors',
    async (id) => {
      const token = await tokenFor(id)
      for (const [, makeDoor] of doors) {
        const door = makeDoor(server.url, token)
        const created = await door.create({ user_id: id, title: 'escaped' })
        expect(created.data?.user_id).toBe(id)
        expect((await door.get({ user_id: id, id: created.data!.id })).status).toBe(200)
        expect((await door.list({ user_id: `${id}x` })).status).toBe(403)
      }
    },
  )
})

describe('the 401 of the REST door', () => {
  const server = useServer()
  const path = () => `/api/${newUserId()}/tasks`

  it('says WWW-Authenticate: Bearer when no token was sent', async () => {
    const response = await request(server.url, 'GET', path())
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(response.body).toEqual({ code: 'UNAUTHORIZED', message: 'Missing bearer token' })
  })

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['no token', 'Bearer'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['a token that is not a JWT', 'Bearer abc'],
  ])('says error="invalid_token" for %s', async (_, authorization) => {
    const response = await request(server.url, 'GET', path(), { headers: { authorization } })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    expect(response.body.code).toBe('UNAUTHORIZED')
  })

  it('tells an expired token apart', async () => {
    const token = await tokenFor(newUserId(), { expiresIn: Math.floor(Date.now() / 1000) - 60 })
    const response = await request(server.url, 'GET', path(), { token })
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="The token has expired"',
    )
  })

  it('accepts the scheme name in any case', async () => {
    const userId = newUserId()
    const token = await tokenFor(userId)
    const response = await request(server.url, 'GET', `/api/${userId}/tasks`, {
      headers: { authorization: `bEaReR ${token}` },
    })
    expect(response.status).toBe(200)
  })

  it('is also what tRPC answers, with the same challenge', async () => {
    const response = await request(server.url, 'GET', `/trpc/tasks.list?input=${encodeURIComponent('{"user_id":"x"}')}`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(response.body.error.data.code).toBe('UNAUTHORIZED')
  })
})
