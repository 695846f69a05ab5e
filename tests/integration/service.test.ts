import SwaggerParser from '@apidevtools/swagger-parser'
import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { request, restClient } from '../setup/http.js'
import { useServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

describe('GET /api/openapi.json', () => {
  const server = useServer()

  it('is a valid OpenAPI 3 document of the REST paths of the contract', async () => {
    const { status, body } = await request(server.url, 'GET', '/api/openapi.json')
    expect(status).toBe(200)
    await SwaggerParser.validate(structuredClone(body))
    expect(body.openapi).toMatch(/^3\./)
    const operations = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(operations.sort()).toEqual(
      [
        'POST /{user_id}/tasks',
        'GET /{user_id}/tasks',
        'GET /{user_id}/tasks/changes',
        'GET /{user_id}/tasks/stats',
        'POST /{user_id}/tasks/complete-many',
        'DELETE /{user_id}/tasks/completed',
        'GET /{user_id}/tasks/events',
        'GET /{user_id}/tasks/{id}',
        'PUT /{user_id}/tasks/{id}',
        'DELETE /{user_id}/tasks/{id}',
        'PATCH /{user_id}/tasks/{id}/complete',
        'POST /auth/register',
        'POST /auth/login',
        'GET /auth/me',
      ].sort(),
    )
    expect(body.servers).toEqual([{ url: '/api' }])
  })

  it('documents the statuses the server answers: 201 on create, 204 on delete', async () => {
    const { body } = await request(server.url, 'GET', '/api/openapi.json')
    const responses = (path: string, method: string) => Object.keys(body.paths[path][method].responses)
    expect(responses('/{user_id}/tasks', 'post')).toContain('201')
    expect(responses('/{user_id}/tasks', 'post')).not.toContain('200')
    expect(responses('/{user_id}/tasks/{id}', 'delete')).toContain('204')
    expect(body.paths['/{user_id}/tasks/{id}'].delete.responses['204'].content).toBeUndefined()
    expect(responses('/{user_id}/tasks/{id}', 'get')).toContain('200')
  })

  it('describes the list query with JSON types', async () => {
    const { body } = await request(server.url, 'GET', '/api/openapi.json')
    const parameters = body.paths['/{user_id}/tasks'].get.parameters as { name: string; schema: { type: string } }[]
    const types = Object.fromEntries(parameters.map((p) => [p.name, p.schema.type]))
    expect(types).toMatchObject({ completed: 'boolean', limit: 'integer', sort: 'string', order: 'string' })
  })
})

describe('GET /docs', () => {
  const server = useServer()

  it('serves Swagger UI and every asset it loads from this server', async () => {
    const page = await request(server.url, 'GET', '/docs')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets.length).toBeGreaterThanOrEqual(3)
    for (const asset of assets) {
      expect(asset.startsWith('/')).toBe(true)
      expect((await request(server.url, 'GET', asset)).status).toBe(200)
    }
    const init = await request(server.url, 'GET', assets.find((a) => a.includes('init.js'))!)
    expect(init.text).toContain('/api/openapi.json')
  })
})

describe('CORS', () => {
  const server = useServer({ CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' })

  it('answers a preflight from an allowed origin, bearer header included', async () => {
    const response = await fetch(`${server.url}/api/u/tasks`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization, content-type, if-match',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const allowed = response.headers.get('access-control-allow-headers')?.split(/,\s*/) ?? []
    // Conditional writes and reads, and event streams resumed by id, work from a browser app.
    for (const header of ['authorization', 'content-type', 'if-match', 'if-none-match', 'last-event-id']) {
      expect(allowed).toContain(header)
    }
    expect(response.headers.get('access-control-allow-methods')).toMatch(/PUT/)
  })

  it('names no origin for one that is not allowed', async () => {
    const response = await fetch(`${server.url}/trpc/tasks.list`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('lets a browser read the Link, ETag and X-Request-Id headers', async () => {
    const user = await newUser()
    const response = await fetch(`${server.url}/api/${user.id}/tasks`, {
      headers: { origin: 'http://localhost:3000', authorization: `Bearer ${user.token}` },
    })
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
    const exposed = response.headers.get('access-control-expose-headers')?.split(/,\s*/) ?? []
    for (const header of ['link', 'etag', 'idempotent-replayed', 'retry-after', 'x-request-id']) {
      expect(exposed).toContain(header)
    }
  })
})

describe('rate limiting', () => {
  const server = useServer({ RATE_LIMIT_PER_MINUTE: '3' })

  it('answers 429 with Retry-After past the limit, per user, at both doors', async () => {
    const alice = await newUser()
    const api = restClient(server.url, alice.id, alice.token)
    for (let i = 0; i < 3; i++) expect((await api.list()).status).toBe(200)
    const limited = await api.list()
    expect(limited.status).toBe(429)
    expect(limited.body).toMatchObject({ code: 'TOO_MANY_REQUESTS' })
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    const error = await trpcError(trpcClient(server.url, alice.token).tasks.list.query({ user_id: alice.id }))
    expect(error.data?.httpStatus).toBe(429)

    const bob = await newUser()
    expect((await restClient(server.url, bob.id, bob.token).list()).status).toBe(200)
  })

  it('counts anonymous calls by client address', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await request(server.url, 'GET', '/api/nobody/tasks')).status)
    // Anonymous calls are 401, until the address has spent its budget.
    expect(statuses.at(-1)).toBe(429)
  })
})
