import createClient, { type Client, type MaybeOptionalInit, type ParseAsResponse } from 'openapi-fetch'
import type {
  HttpMethod,
  PathsWithMethod,
  Readable,
  RequiredKeysOf,
  ResponseObjectMap,
  SuccessResponse,
} from 'openapi-typescript-helpers'
import { TodoApiError } from './errors.js'
import type { paths } from './generated/openapi.js'
import { authorization, origin, type TodoClientOptions } from './options.js'

type Media = 'application/json'

/**
 * The outcome of a REST call, never thrown: `data` on success, `error` (a `TodoApiError`)
 * on an error answer, and the `response` either way (its headers, e.g. `Link`). A call that
 * gets no answer at all (no network) rejects with the `fetch` error.
 */
export type TodoRestResult<Data> =
  | { data: Data; error?: never; response: Response }
  | { data?: never; error: TodoApiError; response: Response }

/** The second argument: required when the operation has required parameters or body. */
type InitParam<Init> =
  RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }]

/** The operation at a path and method (narrowed as openapi-fetch needs it). */
type Operation<Path extends keyof paths, Method extends HttpMethod> = Extract<
  paths[Path][Method],
  Record<string, unknown>
>

/**
 * The success body of an operation, as openapi-fetch reads it. Spelled out rather than taken
 * from its `FetchResponse` union, which a conditional type cannot split while it is generic.
 */
type SuccessData<Op extends Record<string, unknown>, Init> = ParseAsResponse<
  Readable<SuccessResponse<ResponseObjectMap<Op>, Media>>,
  Init
>

/** One HTTP method of the REST client: the paths that have it, typed by the OpenAPI document. */
export type TodoRestMethod<Method extends HttpMethod> = <
  Path extends PathsWithMethod<paths, Method>,
  Init extends MaybeOptionalInit<paths[Path], Method>,
>(
  url: Path,
  ...init: InitParam<Init>
) => Promise<TodoRestResult<SuccessData<Operation<Path, Method>, Init>>>

/** The API's REST client (`/api`), typed by the OpenAPI document. */
export interface TodoRestClient {
  GET: TodoRestMethod<'get'>
  POST: TodoRestMethod<'post'>
  PUT: TodoRestMethod<'put'>
  PATCH: TodoRestMethod<'patch'>
  DELETE: TodoRestMethod<'delete'>
  /** The openapi-fetch client underneath, for its middleware (`raw.use`); its errors are bare JSON bodies. */
  raw: Client<paths, Media>
}

type UntypedMethod = (url: string, init?: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>

/**
 * The API's REST client at `${baseUrl}/api`: openapi-fetch over the paths of the OpenAPI
 * document, the bearer token of `getToken` on every request, and every error answer
 * returned as a `TodoApiError` (never thrown).
 *
 * @example
 * const api = createTodoRestClient({ baseUrl: 'http://localhost:8000', getToken: () => token })
 * const { data, error } = await api.POST('/{user_id}/tasks', {
 *   params: { path: { user_id } },
 *   body: { title: 'Write the report' },
 * })
 * if (error) console.error(error.status, error.code, error.message)
 */
export function createTodoRestClient(options: TodoClientOptions): TodoRestClient {
  const raw = createClient<paths, Media>({
    baseUrl: `${origin(options.baseUrl)}/api`,
    ...(options.fetch && { fetch: options.fetch }),
  })
  raw.use({
    async onRequest({ request }) {
      const header = await authorization(options.getToken)
      if (header) request.headers.set('authorization', header)
      return request
    },
  })
  const method = (name: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') => {
    const send = raw[name] as UntypedMethod
    return async (url: string, init?: object) => {
      const result = await send(url, init)
      if (result.response.ok) return result
      return { error: TodoApiError.fromResponse(result.error, result.response), response: result.response }
    }
  }
  return {
    GET: method('GET') as TodoRestMethod<'get'>,
    POST: method('POST') as TodoRestMethod<'post'>,
    PUT: method('PUT') as TodoRestMethod<'put'>,
    PATCH: method('PATCH') as TodoRestMethod<'patch'>,
    DELETE: method('DELETE') as TodoRestMethod<'delete'>,
    raw,
  }
}

/**
 * The `cursor` of the next page of a list, from the answer's `Link: <…>; rel="next"`
 * header; `null` on the last page.
 */
export function nextPageCursor(response: Response): string | null {
  const link = response.headers.get('link')
  const target = link ? /<([^>]*)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined
  if (!target) return null
  return new URL(target, response.url || 'http://localhost/').searchParams.get('cursor')
}

export { type ApiErrorBody, type ErrorCode, TodoApiError, toTodoApiError, type ValidationIssue } from './errors.js'
export type { TodoClientOptions } from './options.js'
export { positionBetween } from './position.js'
export type { components, operations, paths, Task } from './types.js'
