import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import SwaggerParser from '@apidevtools/swagger-parser'
import { ERROR_STATUS, ErrorCodeSchema, type RouteMeta } from '@todo/contracts'
import { appRouter, openApiDocumentText } from '@todo/server'
import { routeMetaByPath } from '@todo/server/router'
import { describe, expect, it } from 'vitest'
import { request } from '../setup/http.js'
import { useServer } from '../setup/server.js'

const committedPath = createRequire(import.meta.url).resolve('@todo/contracts/openapi.json')
const committed = readFileSync(committedPath, 'utf8')
const document = JSON.parse(committed)

type Operation = {
  summary?: string
  description?: string
  tags?: string[]
  security?: unknown[]
  requestBody?: { required: boolean }
  responses: Record<string, { $ref?: string; content?: unknown }>
}
const restRoutes = [...routeMetaByPath(appRouter)].filter(
  (entry): entry is [string, RouteMeta & { openapi: NonNullable<RouteMeta['openapi']> }] => !!entry[1].openapi,
)
const operationOf = (meta: NonNullable<RouteMeta['openapi']>): Operation =>
  document.paths[meta.path][meta.method.toLowerCase()]

describe('contracts/openapi.json', () => {
  it('is what the code generates (run `pnpm generate` after changing the router or the contract)', () => {
    expect(committed).toBe(openApiDocumentText(appRouter))
  })

  it('is a valid OpenAPI 3 document', async () => {
    const api = await SwaggerParser.validate(structuredClone(document))
    expect(api).toHaveProperty('openapi', expect.stringMatching(/^3\./))
    expect(document.servers).toEqual([{ url: '/api' }])
  })

  it('documents every procedure with REST meta, the event stream, and no other', () => {
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    )
    const routed = restRoutes.map(([, meta]) => `${meta.openapi.method} ${meta.openapi.path}`)
    // The subscription's stream is a route of the REST door's own (trpc-to-openapi has none).
    expect(documented.sort()).toEqual([...routed, 'GET /{user_id}/tasks/events'].sort())
    expect(routed.length).toBeGreaterThanOrEqual(6)
    expect(routeMetaByPath(appRouter).has('tasks.page')).toBe(false)
  })

  it.each(restRoutes)('%s has a summary, a description, tags and the security its meta says', (_, meta) => {
    const operation = operationOf(meta.openapi)
    expect(operation.summary).toBe(meta.openapi.summary)
    expect(operation.description?.length).toBeGreaterThan(0)
    expect(operation.tags).toEqual(meta.openapi.tags)
    if (meta.openapi.protect) expect(operation.security).toEqual([{ bearer: [] }])
    else expect(operation.security).toBeUndefined()
  })

  it.each(restRoutes)('%s answers success with the status of its meta', (_, meta) => {
    const statuses = Object.keys(operationOf(meta.openapi).responses).filter((status) => Number(status) < 400)
    expect(statuses).toEqual([String(meta.successStatus ?? 200)])
    if (meta.successStatus === 204) expect(operationOf(meta.openapi).responses['204']!.content).toBeUndefined()
  })

  it.each(restRoutes)('%s lists its errors, each with the contract error body', (_, meta) => {
    const responses = operationOf(meta.openapi).responses
    const statuses = Object.keys(responses)
      .map(Number)
      .filter((status) => status >= 400)
    for (const code of meta.errors ?? []) expect(statuses).toContain(ERROR_STATUS[code])
    expect(statuses).toEqual(expect.arrayContaining([429, 500, 503]))
    if (meta.openapi.protect) expect(statuses).toContain(401)
    for (const status of statuses) {
      const ref = responses[status]!.$ref!
      const response = document.components.responses[ref.replace('#/components/responses/', '')]
      expect(response.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } })
    }
  })

  it('describes the error body as the contract does', () => {
    const error = document.components.schemas.Error
    expect(error.required).toEqual(['code', 'message'])
    expect(error.properties.code.enum).toEqual(ErrorCodeSchema.options)
    expect(error.properties.issues.items.required).toEqual(['path', 'message'])
    expect(Object.keys(document.components.schemas).filter((name) => name.startsWith('error.'))).toEqual([])
    expect(document.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    })
    expect(document.components.responses.Unauthorized.headers).toHaveProperty('WWW-Authenticate')
    expect(document.components.responses.TooManyRequests.headers).toHaveProperty('Retry-After')
  })

  it('leaves the objects the API answers with open to new fields, as the contract allows', () => {
    expect(JSON.stringify(document.components?.schemas)).not.toContain('"additionalProperties":false')
  })

  it('lets PATCH …/complete go without a body, and no other', () => {
    const bodies = restRoutes
      .filter(([, meta]) => operationOf(meta.openapi).requestBody)
      .map(([path, meta]) => [path, operationOf(meta.openapi).requestBody!.required])
    expect(bodies).toContainEqual(['tasks.complete', false])
    expect(bodies.filter(([, required]) => !required)).toEqual([['tasks.complete', false]])
  })
})

describe('GET /api/openapi.json', () => {
  const server = useServer()

  it('serves the committed document', async () => {
    const { status, body } = await request(server.url, 'GET', '/api/openapi.json')
    expect(status).toBe(200)
    expect(body).toEqual(document)
  })
})
