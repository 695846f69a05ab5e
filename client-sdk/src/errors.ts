import type { components } from './generated/openapi.js'

type Task = components['schemas']['Task']

/** The JSON body of every REST error, as the OpenAPI document describes it. */
export type ApiErrorBody = components['schemas']['Error']

/** The API's stable error codes (`NOT_FOUND`, `BAD_REQUEST`, …): branch on these, not on messages. */
export type ErrorCode = ApiErrorBody['code']

/** One offending field of a validation error: where (`path`) and what (`message`). */
export type ValidationIssue = NonNullable<ApiErrorBody['issues']>[number]

/**
 * The status of each code; also what an answer without the API's error body is read as. A copy
 * of the contract's `ERROR_STATUS` (the SDK imports nothing of the workspace at run time); a
 * test keeps the two equal.
 */
export const STATUS_OF_CODE = {
  PARSE_ERROR: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  CURSOR_EXPIRED: 410,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<ErrorCode, number>

const CODES = new Set<string>(Object.keys(STATUS_OF_CODE))

/** The code an HTTP status stands for when the body does not say (a proxy's 502, say). */
function codeOfStatus(status: number): ErrorCode {
  if (status === 502 || status === 504) return 'SERVICE_UNAVAILABLE'
  for (const [code, codeStatus] of Object.entries(STATUS_OF_CODE) as [ErrorCode, number][]) {
    if (codeStatus === status && code !== 'PARSE_ERROR') return code
  }
  return status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'
}

export interface TodoApiErrorInit {
  code: ErrorCode
  message: string
  status: number
  issues?: ValidationIssue[] | undefined
  current?: Task | undefined
  cause?: unknown
}

/**
 * An error answer of the API, the same whichever client met it: the stable `code`, the
 * `message` for people, the HTTP `status`, and on validation errors the offending fields.
 *
 * The REST client returns it as `error`; a tRPC call rejects with tRPC's own
 * `TRPCClientError` (what React Query integrations expect), which `toTodoApiError` turns
 * into this.
 */
export class TodoApiError extends Error {
  override readonly name = 'TodoApiError'
  /** Stable: branch on this. */
  readonly code: ErrorCode
  /** The HTTP status of the answer (the same at both doors). */
  readonly status: number
  /** On validation errors (`BAD_REQUEST`): the offending fields. */
  readonly issues: ValidationIssue[] | undefined
  /** On `PRECONDITION_FAILED` (a conditional write lost): the task as it is now, to merge with. */
  readonly current: Task | undefined

  constructor({ code, message, status, issues, current, cause }: TodoApiErrorInit) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.status = status
    this.issues = issues
    this.current = current
  }

  /** The error of a REST answer: its JSON body when it is the API's, else what its status says. */
  static fromResponse(body: unknown, response: Response): TodoApiError {
    if (isApiErrorBody(body)) {
      return new TodoApiError({ ...body, current: body.current as Task | undefined, status: response.status })
    }
    const text = typeof body === 'string' && body.length > 0 && body.length <= 200 ? body : undefined
    return new TodoApiError({
      code: codeOfStatus(response.status),
      message: text ?? (response.statusText || `HTTP ${response.status}`),
      status: response.status,
      cause: body,
    })
  }
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null) return false
  const { code, message, issues } = body as Record<string, unknown>
  return (
    typeof code === 'string' &&
    CODES.has(code) &&
    typeof message === 'string' &&
    (issues === undefined || Array.isArray(issues))
  )
}

/** What the tRPC client's errors carry, read without importing it (the REST entry must not). */
interface TrpcErrorLike {
  message: string
  data?: { code?: unknown; httpStatus?: unknown; issues?: unknown; current?: unknown } | null
}

/**
 * The `TodoApiError` of a failed call of either client, or `undefined` when the failure is
 * not an answer of the API (no network, an aborted call): rethrow those.
 *
 * @example
 * try {
 *   await client.tasks.get.query({ user_id, id })
 * } catch (error) {
 *   if (toTodoApiError(error)?.code === 'NOT_FOUND') return null
 *   throw error
 * }
 */
export function toTodoApiError(error: unknown): TodoApiError | undefined {
  if (error instanceof TodoApiError) return error
  if (typeof error !== 'object' || error === null) return undefined
  const { message, data } = error as TrpcErrorLike
  const code = data?.code
  if (typeof code !== 'string' || !CODES.has(code)) return undefined
  const status = typeof data?.httpStatus === 'number' ? data.httpStatus : STATUS_OF_CODE[code as ErrorCode]
  return new TodoApiError({
    code: code as ErrorCode,
    message,
    status,
    issues: Array.isArray(data?.issues) ? (data.issues as ValidationIssue[]) : undefined,
    current: typeof data?.current === 'object' && data.current !== null ? (data.current as Task) : undefined,
    cause: error,
  })
}
