import { buildApp, type Database, loadConfig, openDatabase } from '@todo/server'
import { afterAll, describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { request, restClient } from '../setup/http.js'
import { type TestServer, testEnv, useServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

describe('REST bodies and content types', () => {
  const server = useServer()

  async function withTask() {
    const user = await newUser()
    const api = restClient(server.url, user.id, user.token)
    const task = (await api.create({ title: 'T' })).body
    return { user, api, task }
  }

  it('toggles on PATCH …/complete with no body and no content type', async () => {
    const { user, task } = await withTask()
    const response = await fetch(`${server.url}/api/${user.id}/tasks/${task.id}/complete`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.token}` },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ completed: true })
  })

  it.each([
    ['an empty JSON body', { 'content-type': 'application/json' }, ''],
    ['{}', { 'content-type': 'application/json' }, '{}'],
    ['a charset parameter', { 'content-type': 'application/json; charset=utf-8' }, '{}'],
  ])('toggles on PATCH …/complete with %s', async (_, headers, body) => {
    const { api, task } = await withTask()
    const response = await api.call('PATCH', `/${task.id}/complete`, { headers, body })
    expect(response.status).toBe(200)
    expect(response.body.completed).toBe(true)
  })

  it('answers 201 with JSON on create and 204 with no body and no content type on delete', async () => {
    const { api, task } = await withTask()
    const response = await api.remove(task.id)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
    expect(response.headers.get('content-type')).toBeNull()
    const created = await api.create({ title: 'again' })
    expect(created.status).toBe(201)
    expect(created.headers.get('content-type')).toMatch(/^application\/json/)
  })

  it.each([
    ['truncated JSON', '{"title": "x"'],
    ['a trailing comma', '{"title": "x",}'],
    ['single quotes', "{'title': 'x'}"],
    ['bare text', 'title=x'],
  ])('answers 400 PARSE_ERROR for %s', async (_, body) => {
    const { api } = await withTask()
    const response = await api.call('POST', '', { body })
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ code: 'PARSE_ERROR', message: 'Malformed JSON in the request body' })
  })

  it.each([
    ['an array', '[{"title":"x"}]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('answers 400 for a JSON body that is %s', async (_, body) => {
    const { api } = await withTask()
    const response = await api.call('POST', '', { body })
    expect(response.status).toBe(400)
    expect(response.body.code).toBe('BAD_REQUEST')
  })

  it('refuses a __proto__ key without harm', async () => {
    const { api } = await withTask()
    const response = await api.call('POST', '', { body: '{"title":"x","__proto__":{"admin":true}}' })
    expect(response.status).toBe(400)
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it('answers 413 for a body over the limit, at both doors', async () => {
    const { user, api } = await withTask()
    const huge = JSON.stringify({ title: 'x'.repeat(300 * 1024) })
    const rest = await api.call('POST', '', { body: huge })
    expect(rest.status).toBe(413)
    expect(rest.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    const trpc = await request(server.url, 'POST', '/trpc/tasks.create', { token: user.token, body: huge })
    expect(trpc.status).toBe(413)
    expect(trpc.body.error.data.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers 400 (not 413) for a long title in a body under the limit', async () => {
    const { api } = await withTask()
    const response = await api.create({ title: 'x'.repeat(100_000) })
    expect(response.status).toBe(400)
  })

  it('answers 415 for a body that is not JSON', async () => {
    const { api } = await withTask()
    const response = await api.call('POST', '', { body: 'title=x', headers: { 'content-type': 'text/plain' } })
    expect(response.status).toBe(415)
    expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers JSON 404 for unknown routes under /api and elsewhere', async () => {
    for (const path of ['/api/nothing/here', '/nothing']) {
      const response = await request(server.url, 'GET', path)
      expect(response.status).toBe(404)
      expect(response.body).toMatchObject({ code: 'NOT_FOUND', message: expect.any(String) })
    }
  })

  it('answers 400 PARSE_ERROR to malformed JSON at the tRPC door', async () => {
    const { user } = await withTask()
    const response = await request(server.url, 'POST', '/trpc/tasks.create', { token: user.token, body: '{"title":' })
    expect(response.status).toBe(400)
    expect(response.body.error.data.code).toBe('PARSE_ERROR')
  })
})

describe('server faults', () => {
  let servers: TestServer[] = []
  afterAll(async () => {
    for (const server of servers) await server.app.close()
    servers = []
  })

  async function serverOn(database: Database) {
    const app = await buildApp(loadConfig(testEnv()), { database })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address() as { port: number }
    const server = { app, url: `http://127.0.0.1:${address.port}`, config: loadConfig(testEnv()) }
    servers.push(server)
    return server
  }

  it('answers 500 with no internals when a query fails', async () => {
    const real = await testDatabase()
    // The same database, looked at through a schema that does not exist: every query fails.
    const broken: Database = { ...real, db: real.db.withSchema('no_such_schema') }
    const server = await serverOn(broken)
    const user = await newUser()
    const response = await restClient(server.url, user.id, user.token).list()
    expect(response.status).toBe(500)
    // The request id, to find the fault in the log, and nothing else.
    expect(response.body).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Internal server error',
      request_id: response.headers.get('x-request-id'),
    })
    const error = await trpcError(trpcClient(server.url, user.token).tasks.list.query({ user_id: user.id }))
    expect(error.message).toBe('Internal server error')
    expect(error.data?.request_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.stringify(error.shape)).not.toMatch(/no_such_schema|relation|stack|\.ts/)
  })

  it('answers 503 at both doors and on /health when the database is unreachable', async () => {
    const unreachable = await openDatabase({ kind: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none' })
    const server = await serverOn(unreachable)
    const user = await newUser()
    const rest = await restClient(server.url, user.id, user.token).list()
    expect(rest.status).toBe(503)
    expect(rest.body).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database is unavailable',
      request_id: rest.headers.get('x-request-id'),
    })
    const error = await trpcError(trpcClient(server.url, user.token).tasks.list.query({ user_id: user.id }))
    expect(error.data?.httpStatus).toBe(503)
    const health = await request(server.url, 'GET', '/health')
    expect(health.status).toBe(503)
    expect(health.body).toMatchObject({ status: 'unavailable', code: 'SERVICE_UNAVAILABLE' })
    await unreachable.close()
  })
})

describe('GET /health', () => {
  const server = useServer()
  it('answers 200 when the database answers', async () => {
    const response = await request(server.url, 'GET', '/health')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'ok' })
  })
})
