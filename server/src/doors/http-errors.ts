import { ERROR_STATUS, type ErrorCode } from '@todo/contracts'
import type { FastifyError } from 'fastify'
import { MALFORMED_JSON } from '../trpc/error-shape.js'

const CODE_BY_STATUS = new Map<number, ErrorCode>()
for (const [code, status] of Object.entries(ERROR_STATUS) as [ErrorCode, number][]) {
  if (code !== 'PARSE_ERROR' && !CODE_BY_STATUS.has(status)) CODE_BY_STATUS.set(status, code)
}

/**
 * An error Fastify raised before any procedure ran (malformed JSON, body too large, wrong
 * content type, unknown route), as the status and stable code of the contract.
 */
export function fastifyErrorCode(error: FastifyError): { status: number; code: ErrorCode; message: string } {
  const status =
    error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500) return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }
  const malformedJson = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
  return {
    status,
    code: malformedJson ? 'PARSE_ERROR' : (CODE_BY_STATUS.get(status) ?? 'BAD_REQUEST'),
    message: malformedJson ? MALFORMED_JSON : error.message,
  }
}
