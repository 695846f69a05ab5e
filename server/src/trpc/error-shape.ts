import type { ErrorCode, ValidationIssue } from '@todo/contracts'
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
}

export interface ErrorShape {
  message: string
  code: DefaultErrorShape['code']
  data: ErrorData
}

export const MALFORMED_JSON = 'Malformed JSON in the request body'

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
  ctx?: { requestId?: string } | undefined
}): ErrorShape {
  // tRPC reports a body it cannot parse as BAD_REQUEST; the REST door says PARSE_ERROR.
  if (error.code === 'BAD_REQUEST' && error.cause instanceof SyntaxError) {
    return {
      message: MALFORMED_JSON,
      code: TRPC_ERROR_CODES_BY_KEY.PARSE_ERROR,
      data: { code: 'PARSE_ERROR', httpStatus: 400, path: shape.data.path },
    }
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
      ...(shape.data.httpStatus >= 500 && ctx?.requestId && { request_id: ctx.requestId }),
    },
  }
}
