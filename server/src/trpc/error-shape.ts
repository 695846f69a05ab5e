import type { ErrorCode, Task, ValidationIssue } from '@todo/contracts'
import type { TRPCDefaultErrorShape as DefaultErrorShape } from '@trpc/server'
import { TRPCError } from '@trpc/server'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import type { FastifyRequest } from 'fastify'

/** `data` of a tRPC error: the stable code, and the offending fields on validation errors. */
export interface ErrorData {
  code: ErrorCode
  httpStatus: number
  path?: string | undefined
  issues?: ValidationIssue[] | undefined
  /** On server faults (5xx): the request's id, to find it in the log. */
  request_id?: string | undefined
  /** On `PRECONDITION_FAILED`: the task as it is now. */
  current?: Task | undefined
}

export interface ErrorShape {
  message: string
  code: DefaultErrorShape['code']
  data: ErrorData
}

export const MALFORMED_JSON = 'Malformed JSON in the request body'

/** A conditional write found the task at another version: nothing was written. */
export class StaleVersion extends Error {
  override name = 'StaleVersion'
  constructor(readonly current: Task) {
    super(`The task is at version ${current.version}; nothing was changed`)
  }
}

/** The 412 of a conditional write, carrying the task as it is now. */
export function staleVersion(current: Task): TRPCError {
  const cause = new StaleVersion(current)
  return new TRPCError({ code: 'PRECONDITION_FAILED', message: cause.message, cause })
}

/** A sync cursor older than the server keeps deletions for: the client must sync from scratch. */
export class CursorExpired extends Error {
  override name = 'CursorExpired'
  constructor() {
    super('The cursor is older than the deletions the server keeps: sync again without `since`')
  }
}

/**
 * `CURSOR_EXPIRED` (410): tRPC has no such code, so the error travels as `BAD_REQUEST` and the
 * error shape and the HTTP status say 410 (`formatError`, `errorResponseMeta`).
 */
export function cursorExpired(): TRPCError {
  const cause = new CursorExpired()
  return new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause })
}

/** Server faults are logged (with their cause); client errors are the client's business. */
export function logServerFault({ error, path, req }: { error: TRPCError; path: string | undefined; req: unknown }) {
  if (error.code === 'INTERNAL_SERVER_ERROR' || error.code === 'SERVICE_UNAVAILABLE') {
    ;(req as FastifyRequest).log.error({ err: error.cause ?? error, procedure: path }, 'procedure failed')
  }
}

/** Problems with the input found past validation, carried like zod's issues. */
class InputIssues extends Error {
  override name = 'InputIssues'
  constructor(readonly issues: ValidationIssue[]) {
    super(describeIssues(issues))
  }
}

/** A validation error on one field, reported the way schema validation errors are. */
export function inputError(path: (string | number)[], message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: new InputIssues([{ path, message }]) })
}

/** The message of a validation error, naming each offending field. */
export function describeIssues(issues: ValidationIssue[]): string {
  return `Invalid input: ${issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`
}

/** The issues of a zod error or of `InputIssues` (tRPC may rewrap the zod error). */
function issuesOf(cause: unknown): ValidationIssue[] | undefined {
  const issues = (cause as { issues?: unknown } | undefined)?.issues
  if (!Array.isArray(issues)) return undefined
  return (issues as { path: PropertyKey[]; message: string }[]).map((issue) => ({
    path: issue.path.map(pathKey),
    message: issue.message,
  }))
}

function pathKey(key: PropertyKey): string | number {
  return typeof key === 'number' ? key : String(key)
}

/**
 * The one error shape of both doors. Server faults never show their message or stack;
 * validation errors name each offending field.
 */
export function formatError({
  shape,
  error,
  ctx,
}: {
  shape: DefaultErrorShape
  error: TRPCError
  ctx?: { requestId?: string; logFields?: { error?: string } } | undefined
}): ErrorShape {
  const shaped = shapeError(shape, error, ctx)
  // The request's log line (and the metrics) name the error's code.
  if (ctx?.logFields) ctx.logFields.error = shaped.data.code
  return shaped
}

function shapeError(shape: DefaultErrorShape, error: TRPCError, ctx: { requestId?: string } | undefined): ErrorShape {
  // tRPC reports a body it cannot parse as BAD_REQUEST; the REST door says PARSE_ERROR.
  if (error.code === 'BAD_REQUEST' && error.cause instanceof SyntaxError) {
    return {
      message: MALFORMED_JSON,
      code: TRPC_ERROR_CODES_BY_KEY.PARSE_ERROR,
      data: { code: 'PARSE_ERROR', httpStatus: 400, path: shape.data.path },
    }
  }
  if (error.cause instanceof CursorExpired) {
    return { message: error.message, code: shape.code, data: { code: 'CURSOR_EXPIRED', httpStatus: 410 } }
  }
  // Only a client's bad input names fields; a server fault (output validation included) does not.
  const issues = error.code === 'BAD_REQUEST' ? issuesOf(error.cause) : undefined
  const message =
    error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal server error' : issues ? describeIssues(issues) : error.message
  return {
    message,
    code: shape.code,
    data: {
      code: shape.data.code as ErrorCode,
      httpStatus: shape.data.httpStatus,
      path: shape.data.path,
      ...(issues && { issues }),
      ...(error.cause instanceof StaleVersion && { current: error.cause.current }),
      ...(shape.data.httpStatus >= 500 && ctx?.requestId && { request_id: ctx.requestId }),
    },
  }
}
