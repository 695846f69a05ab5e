import { ERROR_STATUS, type ErrorCode, ErrorSchema, type RouteMeta } from '@todo/contracts'
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi'
import { type AppRouter, routeMetaByPath } from './trpc/router.js'

export const API_VERSION = '1.0.0'

type Components = NonNullable<OpenAPIObject['components']>
type ResponseObject = Exclude<NonNullable<Components['responses']>[string], { $ref: string }>
type Responses = Record<string, unknown>
interface Operation {
  parameters?: unknown[]
  requestBody?: { required?: boolean }
  responses: Responses
}

const ERROR_REF = { $ref: '#/components/schemas/Error' }

/** Every error response of the document: the contract's error body, and why it is answered. */
const ERROR_RESPONSES: Record<number, { name: string } & Pick<ResponseObject, 'description' | 'headers'>> = {
  400: {
    name: 'BadRequest',
    description:
      'Bad input (`BAD_REQUEST`, with `issues` naming the offending fields) or malformed JSON (`PARSE_ERROR`).',
  },
  401: {
    name: 'Unauthorized',
    description: 'No, malformed, expired or untrusted bearer token.',
    headers: {
      'WWW-Authenticate': {
        description: '`Bearer`, with `error="invalid_token"` when a token was given but refused.',
        schema: { type: 'string' },
      },
    },
  },
  403: { name: 'Forbidden', description: 'The path names another user than the caller.' },
  404: {
    name: 'NotFound',
    description: "Not found for this caller (another user's is 404 too: existence never leaks).",
  },
  409: {
    name: 'Conflict',
    description: 'Conflicts with what exists (e.g. the email is taken, the task id is another user’s).',
  },
  410: {
    name: 'CursorExpired',
    description:
      '`CURSOR_EXPIRED`: the cursor is older than the deletions the server keeps (`SYNC_RETENTION`); sync again without `since`.',
  },
  412: {
    name: 'PreconditionFailed',
    description:
      '`PRECONDITION_FAILED`: the task is no longer at the version of `If-Match` (or `if_version`); nothing was written. `current` holds the task as it is now.',
  },
  413: { name: 'PayloadTooLarge', description: 'The request body is too large.' },
  415: { name: 'UnsupportedMediaType', description: 'The request body is not `application/json`.' },
  429: {
    name: 'TooManyRequests',
    description: 'Rate limited.',
    headers: {
      'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
    },
  },
  500: { name: 'InternalServerError', description: 'A fault of the server; the message never shows internals.' },
  503: { name: 'ServiceUnavailable', description: 'The database is unavailable; try again later.' },
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/**
 * The OpenAPI 3 document of the REST door, generated from the router and put right where
 * trpc-to-openapi documents something else than what the server does:
 * - success statuses other than 200 (201, 204), as the route meta names them;
 * - error responses: the contract's `Error` body for the statuses the route can answer,
 *   instead of the adapter's own error shapes and guesses;
 * - a body that may be left out (`PATCH …/complete` toggles without one).
 */
export function buildOpenApiDocument(router: AppRouter): OpenAPIObject {
  const document = generateOpenApiDocument(router, {
    title: 'Todo API',
    version: API_VERSION,
    description:
      'Multi-user tasks. The same procedures are served as tRPC at `/trpc`. Every error is JSON with a stable `code` and a `message`.',
    baseUrl: '/api',
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    defs: { Error: ErrorSchema },
  })
  const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name]

  const used = new Set<number>()
  document.paths = { ...document.paths, ...eventStreamPath(used) }
  for (const meta of routeMetaByPath(router).values()) {
    if (!meta.openapi) continue
    const operation = document.paths?.[meta.openapi.path]?.[lower(meta.openapi.method)] as Operation | undefined
    if (!operation) continue
    const statuses = errorStatuses(meta, operation)
    for (const status of statuses) used.add(status)
    operation.responses = {
      ...successResponse(meta, operation.responses),
      ...Object.fromEntries(
        statuses.map((status) => [status, { $ref: `#/components/responses/${errorName(status)}` }]),
      ),
    }
    if (meta.optionalBody && operation.requestBody) operation.requestBody.required = false
  }

  document.components = {
    ...document.components,
    responses: Object.fromEntries(
      [...used]
        .sort((a, b) => a - b)
        .map((status) => {
          const { name, description, headers } = ERROR_RESPONSES[status]!
          return [
            name,
            { description, ...(headers && { headers }), content: { 'application/json': { schema: ERROR_REF } } },
          ]
        }),
    ),
  }
  openResponses(document.components.schemas)
  return document
}

/**
 * `GET /{user_id}/tasks/events`: the `tasks.events` subscription as an event stream, a route
 * of its own (trpc-to-openapi documents no subscription). Marks the error statuses it uses.
 */
function eventStreamPath(used: Set<number>): NonNullable<OpenAPIObject['paths']> {
  const errors = [400, 401, 403, 410, 429, 500, 503]
  for (const status of errors) used.add(status)
  return {
    '/{user_id}/tasks/events': {
      get: {
        operationId: 'tasks-events',
        summary: 'Stream changes as they happen',
        description: [
          'A `text/event-stream` of the caller’s changes as they commit, on any instance: `id:` the change’s feed cursor,',
          '`event: upsert` or `event: delete`, `data:` the change (the shape of `GET …/tasks/changes`), and a comment line',
          'as a heartbeat every 10 s. `Last-Event-ID` (sent again by every EventSource on reconnect) replays what came',
          'after that cursor first: nothing is lost or repeated. The stream ends, with an `event: error` saying why, when',
          'the token expires (reconnect with a fresh one) or the server restarts (reconnect). At most',
          '`EVENTS_MAX_STREAMS_PER_USER` streams per user and instance (429 beyond). The tRPC door has the same stream as',
          'the subscription `tasks.events`.',
        ].join(' '),
        tags: ['tasks'],
        security: [{ bearer: [] }],
        parameters: [
          { name: 'user_id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } },
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'The `id` of the last event received: the stream resumes after it.',
            schema: { type: 'string', maxLength: 512 },
          },
        ],
        responses: {
          200: {
            description: 'The event stream (it ends when the server ends it; reconnect with `Last-Event-ID`).',
            content: {
              'text/event-stream': {
                schema: { type: 'string' },
                example:
                  'id: WyJjIiwi…\nevent: upsert\ndata: {"op":"upsert","id":"0b5c…","task":{…},"at":"2026-01-03T10:30:00.000Z"}\n\n',
              },
            },
          },
          ...Object.fromEntries(
            errors.map((status) => [status, { $ref: `#/components/responses/${errorName(status)}` }]),
          ),
        },
      },
    },
  }
}

/**
 * zod writes `additionalProperties: false` on the objects the API answers with, but the
 * contract may add fields to them: a client validating strictly would break on the next
 * version. Responses are documented open; request bodies stay as they are.
 */
function openResponses(schema: unknown): void {
  if (typeof schema !== 'object' || schema === null) return
  const node = schema as Record<string, unknown>
  if (node.additionalProperties === false) delete node.additionalProperties
  for (const value of Object.values(node)) openResponses(value)
}

/** The success response under the status the server answers with. */
function successResponse(meta: RouteMeta, responses: Responses): Responses {
  const ok = responses['200']
  if (!meta.successStatus) return { 200: ok }
  return { [meta.successStatus]: meta.successStatus === 204 ? { description: 'Done; no content.' } : ok }
}

/** The error statuses a route can answer. */
function errorStatuses(meta: RouteMeta, operation: Operation): number[] {
  const codes = new Set<ErrorCode>(meta.errors)
  if (operation.parameters?.length || operation.requestBody) codes.add('BAD_REQUEST')
  if (meta.openapi?.protect) codes.add('UNAUTHORIZED')
  if (meta.openapi && BODY_METHODS.has(meta.openapi.method)) {
    codes.add('PAYLOAD_TOO_LARGE').add('UNSUPPORTED_MEDIA_TYPE')
  }
  codes.add('TOO_MANY_REQUESTS').add('INTERNAL_SERVER_ERROR').add('SERVICE_UNAVAILABLE')
  return [...new Set([...codes].map((code) => ERROR_STATUS[code]))].sort((a, b) => a - b)
}

function errorName(status: number): string {
  const response = ERROR_RESPONSES[status]
  if (!response) throw new Error(`No error response is described for status ${status}`)
  return response.name
}

/** The document as committed (`contracts/openapi.json`): stable key order, two-space indent. */
export function openApiDocumentText(router: AppRouter): string {
  return `${JSON.stringify(buildOpenApiDocument(router), null, 2)}\n`
}

function lower<M extends string>(method: M): Lowercase<M> {
  return method.toLowerCase() as Lowercase<M>
}
